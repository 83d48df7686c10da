"""Issue mode's judgement of a reproduction test: the answer's parts, and whether the test fails
on the snapshot for the reason the model stated."""

from __future__ import annotations

import pytest

from treefix.pipeline.issue import Rejected, judge, parse, same_failure
from treefix.types import Status, TestOutcome, TestReport

ANSWER = (
    "FILE: tests/test_repro.py\n```python\ndef test_x():\n    assert f() == 2\n```\n"
    "EXPECTED FAILURE: AssertionError: assert 1 == 2\n"
)


def test_parse_reads_path_source_and_expected_failure():
    path, source, expected = parse(ANSWER, set())
    assert path == "tests/test_repro.py" and source.startswith("def test_x")
    assert expected == "AssertionError: assert 1 == 2"


@pytest.mark.parametrize(
    "text,why",
    [
        (ANSWER.replace("tests/test_repro.py", "../test_repro.py"), "outside the project"),
        (ANSWER.replace("tests/test_repro.py", "src/repro.py"), "not a test file"),
        (ANSWER.replace("EXPECTED FAILURE", "EXPECTED"), "EXPECTED FAILURE"),
        (ANSWER.replace("```python", "").replace("```", ""), "no ```python block"),
    ],
)
def test_parse_rejects_bad_answers(text, why):
    with pytest.raises(Rejected, match=why):
        parse(text, set())


def test_parse_refuses_to_overwrite_an_existing_file():
    with pytest.raises(Rejected, match="already exists"):
        parse(ANSWER, {"tests/test_repro.py"})


@pytest.mark.parametrize(
    "expected,message,same",
    [
        ("AssertionError: assert 1 == 2", "AssertionError: assert 1 == 2", True),
        ("AssertionError: assert 1 == 2", "AssertionError: assert  1 == 2", True),
        ("ZeroDivisionError", "ZeroDivisionError: division by zero", True),
        ("builtins.KeyError: 'a'", "KeyError: 'a'", True),
        ("AssertionError: assert 1 == 2", "ImportError: cannot import name 'f'", False),
        ("AssertionError: assert 1 == 2", "AssertionError: assert 3 == 2", False),
        ("ValueError: bad date", "TypeError: bad date", False),
        ("assert 1 == 2", "AssertionError: assert 1 == 2", True),
    ],
)
def test_same_failure(expected, message, same):
    assert same_failure(expected, message) is same


def _report(outcome: str, message: str = "") -> TestReport:
    node = "tests/test_repro.py::test_x"
    return TestReport(Status.FAILED, 1, 0.1, tests={node: TestOutcome(node, outcome, message)})


def test_a_test_that_passes_on_the_snapshot_is_rejected():
    with pytest.raises(Rejected, match="passes on the current code"):
        judge(_report("passed"), "tests/test_repro.py", "AssertionError: assert 1 == 2")


def test_a_test_that_did_not_run_is_rejected():
    with pytest.raises(Rejected, match="no test of tests/other.py ran"):
        judge(_report("failed", "x"), "tests/other.py", "AssertionError")


def test_the_right_failure_is_kept():
    msg = "AssertionError: assert 1 == 2"
    assert judge(_report("failed", msg), "tests/test_repro.py", msg) == msg
