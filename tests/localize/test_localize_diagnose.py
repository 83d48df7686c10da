"""Why localisation came back empty: one reason per case, each with what to do."""

from __future__ import annotations

import pytest

from treefix.localize.diagnose import HarnessView, explain_empty
from treefix.types import Status, TestOutcome, TestReport

T = "tests/test_a.py::test_a"


def _report(coverage=None, status=Status.FAILED, detail="exit code 1") -> TestReport:
    return TestReport(
        status, 1, 0.1, tests={T: TestOutcome(T, "failed")}, coverage=coverage, detail=detail
    )


PYTEST = HarnessView(is_pytest=True, plugin=True)


@pytest.mark.parametrize(
    ("report", "targets", "harness", "words"),
    [
        (_report(), ["<command>"], HarnessView(False, False), "not pytest"),
        (_report(), ["tests/test_a.py"], PYTEST, "errors while collecting test files (tests/test_a.py)"),
        (_report(), [T], HarnessView(True, False, "it did not load: E"), "could not run (it did not load: E)"),
        (_report({}, Status.TIMEOUT, "1 test(s) exceeded"), [T], PYTEST, "no per-test coverage came back"),
        (_report({T: {"tests/test_a.py": [3]}}), [T], PYTEST, "pip install -e ."),
        (_report({T: {"pkg/m.py": [1]}}), [T], PYTEST, "only outside functions"),
    ],
    ids=["not-pytest", "collection", "plugin-off", "no-coverage", "tests-only", "module-level"],
)  # fmt: skip
def test_each_empty_localisation_has_its_reason(report, targets, harness, words):
    text = explain_empty(report, targets, harness)
    assert text.startswith("localisation found no suspicious line")
    assert "nothing was searched" in text
    assert words in text
