"""The runner decides on the first run what treefix's plugin can do, and grades accordingly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.testing.legacy_projects import write_legacy
from treefix.sandbox.local import LocalSandbox
from treefix.testing.command import detect_test_command
from treefix.testing.harness import Harness, broken_harness, load_failure
from treefix.testing.runner import TestRunner
from treefix.types import Status
from treefix.workspace.snapshot import snapshot

FAILING = {"tests/test_unit.py::StatsTest::test_mean"}


@pytest.fixture
def harnessed(tmp_path: Path):
    """(runner, sandbox) over a project; `extra` files are added to the legacy project."""
    boxes: list[LocalSandbox] = []

    def make(extra: dict[str, str] | None = None, plugin_source: str | None = None):
        root = write_legacy(tmp_path / f"proj{len(boxes)}")
        for name, text in (extra or {}).items():
            (root / name).write_text(text)
        box = LocalSandbox(snapshot(root))
        boxes.append(box)
        if plugin_source is not None:  # an interpreter or pytest the plugin cannot load into
            support = tmp_path / f"support{len(boxes)}"
            support.mkdir()
            (support / "treefix_pytest.py").write_text(plugin_source)
            box.support_dir = str(support)
        return TestRunner(detect_test_command(root, f"{sys.executable} -m pytest")), box

    yield make
    for box in boxes:
        box.close()


def test_a_plugin_that_loads_says_with_what(harnessed):
    runner, box = harnessed()
    report = runner.run(box, {}, timeout=60, coverage=True)
    assert report.status is Status.FAILED
    assert set(report.failing()) == FAILING
    h = runner.harness
    assert h.plugin and not h.problem
    assert h.python == ".".join(map(str, sys.version_info[:3]))
    # treefix's interpreter (3.11) lends the run its coverage.py's compiled tracer
    assert h.pytest == pytest.__version__ and h.tracer.startswith("ctracer")
    assert h.notes() == []
    assert "treefix_pytest" in runner.argv(box, None)


def test_a_plugin_that_cannot_load_degrades_to_junit_grading(harnessed):
    runner, box = harnessed(plugin_source="raise ImportError('this pytest is too old for it')\n")
    report = runner.run(box, {}, timeout=60, per_test_timeout=5, coverage=True)
    assert runner.harness.plugin is False
    assert "did not load" in runner.harness.problem and "too old" in runner.harness.problem
    assert "JUnit" in runner.harness.notes()[0]
    # graded by JUnit and the exit code: the same verdict, without frames or coverage
    assert report.status is Status.FAILED and report.exit_code == 1
    assert set(report.failing()) == FAILING
    assert len(report.passing()) == 4
    assert report.coverage is None
    assert all(not t.frames for t in report.tests.values())
    assert "treefix_pytest" not in runner.argv(box, None)
    again = runner.run(box, {}, timeout=60)  # later runs go straight to the JUnit-only form
    assert set(again.failing()) == FAILING


def test_a_conftest_that_stops_pytest_does_not_turn_the_plugin_off(harnessed):
    runner, box = harnessed({"conftest.py": "raise RuntimeError('broken conftest')\n"})
    report = runner.run(box, {}, timeout=60)
    assert report.status is Status.ERROR
    assert runner.harness.plugin is True and runner.harness.problem == ""
    assert "treefix_pytest" in runner.argv(box, None)


def test_a_run_that_ends_during_a_test_is_not_a_timeout(harnessed):
    extra = {"tests/test_quit.py": "import os\n\n\ndef test_quit():\n    os._exit(1)\n"}
    runner, box = harnessed(extra)
    report = runner.run(box, {}, timeout=60, per_test_timeout=5)
    assert report.status is Status.FAILED, report.detail
    quit_ = report.tests["tests/test_quit.py::test_quit"]
    assert quit_.outcome == "error"
    assert "Timeout" not in quit_.message and "ended during this test" in quit_.message


def test_a_pytest_internal_error_is_the_harness_not_the_project(harnessed):
    hook = "def pytest_runtest_logreport(report):\n    raise RuntimeError('boom in a hook')\n"
    runner, box = harnessed({"conftest.py": hook})
    report = runner.run(box, {}, timeout=60, per_test_timeout=5)
    assert report.exit_code == 3
    assert report.status is Status.ERROR and report.detail == "pytest internal error"
    problem = broken_harness(report, runner.harness)
    assert problem is not None
    assert "internal error" in problem and "boom in a hook" in problem
    assert broken_harness(runner.run(box, {"conftest.py": b""}, timeout=60), runner.harness) is None


def test_load_failure_names_the_plugins_error_line():
    output = (
        "Traceback (most recent call last):\n"
        '  File "/x/treefix_pytest.py", line 9\n'
        "    if (n := 1):\n"
        "SyntaxError: invalid syntax\n"
        "error: something else\n"
    )
    assert load_failure(output) == "SyntaxError: invalid syntax"
    assert load_failure("usage: pytest\npytest: error: unrecognized arguments: -o\n").endswith("-o")
    assert load_failure("") == "no output"


def test_notes_say_which_recorder_ran():
    assert Harness(tracer="sys.monitoring").notes() == []
    assert Harness(tracer="ctracer (the project's coverage.py)").notes() == []
    (note,) = Harness(python="3.7.16", tracer="settrace").notes()
    assert "own line tracer (settrace" in note and "3.7.16" in note and "coverage.py" in note
    assert Harness(plugin=False, problem="x").notes()[0].startswith("harness:")
