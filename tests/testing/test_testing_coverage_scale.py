"""Per-test coverage for thousands of tests: the compact form (paths by index, lines as ranges)
fits where the plain {test: {path: [lines]}} passed the old 8 MiB cap and was dropped, and a cut
is said, with what the run falls back to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import write_tree
from treefix.protocols import COVERAGE_LIMIT
from treefix.sandbox.local import LocalSandbox
from treefix.testing.command import detect_test_command
from treefix.testing.results import parse_coverage
from treefix.testing.runner import TestRunner
from treefix.workspace.snapshot import snapshot

BODY = "".join(f"    x += {i}\n" for i in range(600))


@pytest.mark.slow
def test_three_thousand_tests_keep_their_coverage(tmp_path: Path) -> None:
    tests = "from pkg.work import run\n\n" + "".join(
        f"def test_{i}():\n    assert run({i}) > 0\n\n" for i in range(3000)
    )
    root = write_tree(
        tmp_path / "proj",
        {
            "conftest.py": "",
            "pkg/__init__.py": "",
            "pkg/work.py": f"def run(x):\n{BODY}    return x + 1\n",
            "tests/test_many.py": tests,
        },
    )
    project = snapshot(root)
    sb = LocalSandbox(project)
    try:
        runner = TestRunner(detect_test_command(root, None))
        report = runner.run(sb, {}, timeout=600, per_test_timeout=30, coverage=True)
    finally:
        sb.close()
    assert len(report.passing()) == 3000, report.detail
    assert report.coverage is not None and report.coverage_note == ""
    assert len(report.coverage) == 3000
    lines = report.coverage["tests/test_many.py::test_2999"]["pkg/work.py"]
    assert set(range(2, 603)) <= set(lines)
    # the plain form of the same data is past the old 8 MiB cap
    assert len(json.dumps(report.coverage)) > 8 << 20


def test_a_coverage_file_cut_at_the_limit_is_said_not_dropped_silently():
    cov, note = parse_coverage(
        '{"format": "treefix-coverage-2", "files": ["a.py"], "tests": {"t":', 1 << 30
    )
    assert cov is None and "could not be read" in note and "traceback frames" in note
    cov, note = parse_coverage("x" * 64, 64)
    assert cov is None and "cut at" in note
    data = {
        "format": "treefix-coverage-2",
        "files": ["a.py", "b.py"],
        "tests": {"t": {"1": [[3, 5], [9, 9]]}},
    }
    assert parse_coverage(json.dumps(data), COVERAGE_LIMIT) == ({"t": {"b.py": [3, 4, 5, 9]}}, "")
