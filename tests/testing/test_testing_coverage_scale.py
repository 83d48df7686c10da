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
from treefix.testing.coverage_file import parse_coverage
from treefix.testing.runner import TestRunner
from treefix.types import Status
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


def test_a_run_killed_midway_keeps_the_coverage_of_the_tests_it_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """treefix's tracer streams each test's lines as the test ends: a run killed in its 21st test
    still gives the first 20 their coverage (a file written at the session's end had none). This
    interpreter has coverage.py, whose collector would have kept every context to the end."""
    monkeypatch.delenv("TREEFIX_TRACER", raising=False)  # the recorder a run picks by default

    def case(i: int) -> str:
        return f"def test_{i:02d}():\n    assert run({i}) > 0\n\n"

    killer = "def test_20_kills():\n    run(0)\n    os.kill(os.getpid(), signal.SIGKILL)\n\n"
    tests = "import os\nimport signal\n\nfrom pkg.work import run\n\n"
    tests += "".join(case(i) for i in range(20)) + killer + "".join(case(i) for i in range(21, 40))
    root = write_tree(
        tmp_path / "proj",
        {
            "conftest.py": "",
            "pkg/__init__.py": "",
            "pkg/work.py": "def run(x):\n    if x > 10:\n        return x\n    return x + 1\n",
            "tests/test_kill.py": tests,
        },
    )
    sb = LocalSandbox(snapshot(root))
    try:
        runner = TestRunner(detect_test_command(root, None))
        report = runner.run(sb, {}, timeout=120, per_test_timeout=30, coverage=True)
    finally:
        sb.close()
    assert report.status == Status.CRASHED, report.detail
    assert report.coverage is not None, report.coverage_note
    finished = {f"tests/test_kill.py::test_{i:02d}" for i in range(20)}
    assert set(report.coverage) == finished
    assert report.coverage["tests/test_kill.py::test_05"]["pkg/work.py"] == [2, 4]
    assert report.coverage["tests/test_kill.py::test_15"]["pkg/work.py"] == [2, 3]


def test_the_streamed_form_reads_back_each_whole_line_and_credits_import_time_lines():
    lines = [
        '{"format":"treefix-coverage-3"}',
        '["f",0,"pkg/a.py"]',
        '["m","tests/test_a.py",{"0":[1]}]',
        '["t","tests/test_a.py::t1",{"0":[[3,5],9]}]',
        '["f",1,"tests/test_a.py"]',
        '["t","tests/test_a.py::t2",{"1":[4]}]',
        '["t","tests/test_a.py::t3",{"0":[[3',  # cut by a kill
    ]
    cov, note = parse_coverage("\n".join(lines), COVERAGE_LIMIT)
    assert cov == {
        "tests/test_a.py::t1": {"pkg/a.py": [1, 3, 4, 5, 9]},
        "tests/test_a.py::t2": {"tests/test_a.py": [4], "pkg/a.py": [1]},
    }
    assert "1 line(s)" in note and "killed" in note
    cov, note = parse_coverage("\n".join(lines[:4]), 40)  # the size limit cut it there
    assert cov == {"tests/test_a.py::t1": {"pkg/a.py": [1, 3, 4, 5, 9]}}
    assert "cut at" in note and "1 tests written before the cut keep theirs" in note
