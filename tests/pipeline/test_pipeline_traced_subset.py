"""A large suite's baseline: the whole suite untraced, then a traced subset (pipeline/traced.py);
a small suite keeps its one traced run. Real pytest runs in real local sandboxes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import init_repo, write_tree
from treefix.cli.app import app
from treefix.executors.thread import ThreadExecutor
from treefix.pipeline.baseline import flaky_targets, run_baseline
from treefix.pipeline.options import SearchOptions
from treefix.pipeline.traced import related_order
from treefix.protocols import Evaluation
from treefix.sandbox.local import LocalSandbox
from treefix.sandbox.pool import SandboxPool
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import Status, TestOutcome, TestReport
from treefix.workspace.snapshot import snapshot

FILLER = 6  # filler test files of 5 tests each: 30 tests far from the bug


def stats_project(root: Path) -> Path:
    """A bug in pkg/stats.py:mean; its helper pkg/basics.py:keep is run by the failing test too,
    and by the passing tests of tests/test_basics.py."""
    files = {
        "conftest.py": "",
        "pkg/__init__.py": "",
        "pkg/basics.py": "def keep(xs):\n    out = [x for x in xs if x is not None]\n    return out\n",
        "pkg/stats.py": (
            "from pkg.basics import keep\n\n\n"
            "def mean(xs):\n"
            "    xs = keep(xs)\n"
            "    if not xs:\n"
            "        return 0.0\n"
            "    return sum(xs) / (len(xs) + 1)\n\n\n"
            "def biggest(xs):\n"
            "    return max(keep(xs))\n"
        ),
        "pkg/shapes.py": "def area(w, h):\n    return w * h\n",
        "tests/test_stats.py": (
            "from pkg.stats import biggest, mean\n\n\n"
            "def test_mean():\n    assert mean([1, None, 3]) == 2\n\n\n"
            "def test_mean_of_nothing():\n    assert mean([None]) == 0.0\n\n\n"
            "def test_biggest():\n    assert biggest([1, None, 3]) == 3\n"
        ),
        "tests/test_basics.py": "".join(
            f"from pkg.basics import keep\n\n\ndef test_keep_{i}():\n    assert keep([{i}, None]) == [{i}]\n\n\n"
            for i in range(3)
        ),
    }
    for f in range(FILLER):
        files[f"tests/far/test_area_{f}.py"] = "from pkg.shapes import area\n\n\n" + "".join(
            f"def test_area_{i}():\n    assert area({i}, 2) == {2 * i}\n\n\n" for i in range(5)
        )
    return write_tree(root, files)


class CountingExecutor(ThreadExecutor):
    """The real thread executor, counting the runs it was given."""

    def __init__(self, pool: SandboxPool, runner: TestRunner):
        super().__init__(pool, runner)
        self.evaluations: list[Evaluation] = []

    def run(self, batch: Sequence[Evaluation]) -> list[TestReport]:
        self.evaluations += batch
        return super().run(batch)


def _baseline(root: Path, mode: str = "auto", **options):
    project = snapshot(root)
    runner = TestRunner(detect_test_command(project.root, None), mode)
    executor = CountingExecutor(SandboxPool([LocalSandbox(project)]), runner)
    try:
        opts = SearchOptions(**options)
        first = run_baseline(executor, opts, time.monotonic() + 300)
        if mode in ("warm", "cold"):  # every run after the first served as asked
            assert runner.warm_runs == (len(executor.evaluations) - 1 if mode == "warm" else 0)
        return first, executor.evaluations
    finally:
        executor.close()


TOTAL = 3 + 3 + 5 * FILLER
STATS = [f"tests/test_stats.py::test_{n}" for n in ("mean", "mean_of_nothing", "biggest")]


def test_a_small_suite_is_traced_whole_in_its_one_baseline_run(tmp_path: Path) -> None:
    first, runs = _baseline(stats_project(tmp_path / "p"))  # 35 tests, the default cap 1000
    assert len(runs) == 1 and runs[0].coverage and runs[0].tests is None
    base = first.report
    assert not base.trace_deferred and base.traced is None and first.traced_runs == 0
    assert len(base.tests) == TOTAL and base.failing() == ["tests/test_stats.py::test_mean"]
    assert base.coverage is not None
    assert "tests/far/test_area_0.py::test_area_1" in base.coverage  # every test traced
    assert not base.coverage_note


@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_a_suite_above_the_cap_runs_bare_then_traces_the_failing_tests_and_their_file(
    tmp_path: Path, mode: str
) -> None:
    """Ratio 1: no budget; the failing tests are traced whatever they cost, and their file's
    passing tests within as much again. The traced run is served warm (forked from the server
    the first run started) or cold alike."""
    first, runs = _baseline(
        stats_project(tmp_path / "p"), mode, trace_max_tests=10, baseline_trace_ratio=1.0
    )
    assert len(runs) == 2  # the whole suite once (untraced), then one traced run
    assert runs[0].tests is None and runs[0].trace_max_tests == 10
    assert runs[1].tests == STATS  # the failing test first
    base = first.report
    assert len(base.tests) == TOTAL and base.failing() == ["tests/test_stats.py::test_mean"]
    assert base.coverage is not None and set(base.coverage) == set(STATS)
    assert base.traced == 3 and first.traced_runs == 1
    assert base.coverage_note.startswith("per-test coverage covers 3 of 36 tests")
    assert "trace-max-tests 10" in base.coverage_note


def test_with_budget_left_a_second_run_traces_the_tests_named_after_what_the_failing_ran(
    tmp_path: Path,
) -> None:
    """A generous ratio: the second run takes test modules named after the source modules the
    failing test executed (test_basics.py for pkg/basics.py) before the far ones."""
    first, runs = _baseline(
        stats_project(tmp_path / "p"), trace_max_tests=10, baseline_trace_ratio=60.0
    )
    assert len(runs) == 3
    assert runs[1].tests == STATS
    second = list(runs[2].tests or [])
    assert second[:3] == [f"tests/test_basics.py::test_keep_{i}" for i in range(3)]
    base = first.report
    assert base.coverage is not None and "tests/test_basics.py::test_keep_0" in base.coverage
    assert base.traced == len(base.coverage) and first.traced_runs == 2


def _repair(root: Path, *extra: str) -> dict:
    args = ["--json", "--sandbox", "local", "--proposer", "mutation", "--workers", "1"]
    result = CliRunner().invoke(app, ["repair", str(root), *args, "--max-evals", "1", *extra])
    return {"report": json.loads(result.stdout), "stderr": result.stderr}


def test_the_bug_is_localised_to_the_same_top_line_and_the_report_says_what_was_traced(
    tmp_path: Path,
) -> None:
    whole = _repair(stats_project(tmp_path / "whole"))
    large = stats_project(tmp_path / "large")
    (large / "pyproject.toml").write_text(
        "[tool.treefix]\ntrace-max-tests = 10\nbaseline-trace-ratio = 1.0\n"
    )
    subset = _repair(large)
    top = whole["report"]["localization"][0]
    assert (top["path"], top["line"]) == ("pkg/stats.py", 8)
    got = subset["report"]["localization"][0]
    assert (got["path"], got["line"]) == (top["path"], top["line"])
    baseline = subset["report"]["baseline"]
    assert baseline["traced_tests"] == 3 and baseline["tests"] == TOTAL
    assert baseline["coverage_note"].startswith("per-test coverage covers 3 of 36 tests")
    assert "per-test coverage covers 3 of 36 tests" in subset["stderr"]
    assert subset["report"]["limits"]["baseline_traced_runs"] == 1
    # guard tests come from the traced ones that run the suspicious lines
    assert "tests/test_stats.py::test_mean_of_nothing" in subset["report"]["guards"]
    assert set(subset["report"]["guards"]) <= set(STATS)
    assert whole["report"]["baseline"]["traced_tests"] is None
    assert whole["report"]["limits"]["baseline_traced_runs"] == 0


def test_order_named_after_an_executed_module_then_next_to_it_then_by_folder() -> None:
    executed = {"lib/graphs/dag.py": {3, 4}, "lib/core/graph.py": {10}}
    covered = {"lib/core/graph.py": {10}}  # already run by a traced passing test
    candidates = [
        "lib/io/tests/test_json.py::t",
        "lib/core/tests/test_graph.py::t",
        "lib/graphs/tests/test_cycles.py::t",
        "lib/graphs/tests/test_dag.py::t",
        "lib/graphs/tests/test_dag_more.py::t",
        "docs/test_examples.py::t",
    ]
    assert related_order(candidates, executed, covered) == [
        "lib/graphs/tests/test_dag.py::t",  # named after dag.py, whose lines no passing test ran
        "lib/graphs/tests/test_dag_more.py::t",
        "lib/core/tests/test_graph.py::t",  # named after graph.py (its line is covered already)
        "lib/graphs/tests/test_cycles.py::t",  # next to dag.py
        "lib/io/tests/test_json.py::t",  # shares lib/ only
        "docs/test_examples.py::t",
    ]


def test_a_target_that_hung_untraced_is_not_rechecked_as_slow_under_the_tracer(
    tmp_path: Path,
) -> None:
    """With the subset's coverage the outcomes come from the untraced run: a target killed at
    the per-test limit there hung by itself, and is not re-run with 3x the limit."""
    root = write_tree(
        tmp_path / "p",
        {
            "conftest.py": "",
            "tests/test_it.py": "import time\n\n\ndef test_hangs():\n    time.sleep(30)\n",
        },
    )
    project = snapshot(root)
    command = detect_test_command(project.root, None)
    executor = CountingExecutor(SandboxPool([LocalSandbox(project)]), TestRunner(command))
    hung = TestOutcome("tests/test_it.py::test_hangs", "failed", "TreefixTestTimeout: ran 1s")
    base = TestReport(
        Status.TIMEOUT,
        1,
        2.0,
        tests={hung.nodeid: hung},
        coverage={hung.nodeid: {"x.py": [1]}},
        traced=1,
    )
    try:
        opts = SearchOptions(per_test_timeout=1.0, test_timeout=20.0)
        flaky = flaky_targets(executor, base, [hung.nodeid], command, opts, time.monotonic() + 60)
    finally:
        executor.close()
    assert flaky == [] and executor.evaluations == []  # a real hang: no slow re-check


@pytest.mark.slow
def test_a_large_suite_longer_than_one_run_is_continued_untraced_then_traced(
    tmp_path: Path,
) -> None:
    """The continued baseline: the first run (tracing off above the cap) stops at its limit, the
    rest runs untraced too, and the subset is traced once every test has an outcome."""
    root = stats_project(tmp_path / "p")
    slow = "import time\n\n" + "".join(
        f"def test_{j}():\n    time.sleep(1.0)\n\n" for j in range(3)
    )
    write_tree(root, {f"tests/test_slow_{i}.py": slow for i in range(4)})  # 12 s
    first, runs = _baseline(
        root, trace_max_tests=10, baseline_trace_ratio=1.0, test_timeout=8.0, per_test_timeout=2.0
    )
    assert first.runs >= 2 and not first.cut
    untraced, traced = runs[: first.runs], runs[first.runs :]
    assert untraced[0].coverage and all(not r.coverage for r in untraced[1:])
    assert len(traced) == 1 and traced[0].tests == STATS
    base = first.report
    assert len(base.tests) == TOTAL + 12 and base.traced == 3
    assert base.coverage is not None and set(base.coverage) == set(STATS)


MANY = 240  # filler test files of 5 tests: 1,206 tests in all, above the default cap 1000


def _many(root: Path) -> Path:
    stats_project(root)
    write_tree(
        root,
        {
            f"tests/far/test_area_{f}.py": "from pkg.shapes import area\n\n\n"
            + "".join(
                f"def test_area_{i}():\n    assert area({i}, 2) == {2 * i}\n\n\n" for i in range(5)
            )
            for f in range(FILLER, MANY)
        },
    )
    init_repo(root)
    return root


def _fast_python(var: str) -> str:
    """An interpreter with sys.monitoring (3.12+) and pytest: .ci/run's 3.13 virtualenv, and its
    3.12 one that also has coverage.py and pytest-cov."""
    python = os.environ.get(var, "")
    if not python:
        if os.environ.get("CI"):
            pytest.fail(f"{var} is not set: .ci/run creates this virtualenv")
        pytest.skip(f"{var} is not set (.ci/run sets it)")
    return python


@pytest.mark.parametrize("var", ["TREEFIX_TEST_PY313", "TREEFIX_TEST_PY312COV"])
def test_a_suite_of_thousands_is_traced_whole_in_one_run_by_sys_monitoring(
    tmp_path: Path, var: str
) -> None:
    """The default cap holds for slow tracers only: with sys.monitoring every one of 1,206 tests
    gets its coverage in the one baseline run, and the bug's line is localised from it. The same
    where the project has coverage.py: its collector (every context held to the session's end)
    is not used, so nothing about the suite's size changes."""
    python = _fast_python(var)
    root = _many(tmp_path / "p")
    total = 6 + 5 * MANY
    project = snapshot(root)
    runner = TestRunner(detect_test_command(project.root, f"{python} -m pytest"))
    executor = CountingExecutor(SandboxPool([LocalSandbox(project)]), runner)
    try:
        first = run_baseline(executor, SearchOptions(), time.monotonic() + 300)
    finally:
        executor.close()
    assert runner.harness.tracer == "sys.monitoring"
    assert len(executor.evaluations) == 1 and first.traced_runs == 0
    base = first.report
    assert len(base.tests) == total and not base.trace_deferred and not base.coverage_note
    assert base.coverage is not None and set(base.coverage) == set(base.tests)
    assert base.coverage["tests/test_stats.py::test_mean"]["pkg/stats.py"] == [5, 6, 8]
    report = _repair(root, "--test-cmd", f"{python} -m pytest")["report"]
    top = report["localization"][0]
    assert (top["path"], top["line"]) == ("pkg/stats.py", 8)
    assert report["baseline"]["tests"] == total and report["baseline"]["traced_tests"] is None
    assert report["limits"]["baseline_traced_runs"] == 0


def test_the_same_suite_with_a_slow_tracer_runs_untraced_then_traces_a_subset(
    tmp_path: Path,
) -> None:
    """This interpreter (3.11: the C tracer or settrace) keeps the default cap of 1000."""
    first, runs = _baseline(_many(tmp_path / "p"))
    assert runs[0].tests is None and runs[0].trace_max_tests == 1000
    base = first.report
    assert base.trace_deferred and first.traced_runs >= 1 and len(runs) == 1 + first.traced_runs
    assert base.coverage is not None and "tests/test_stats.py::test_mean" in base.coverage
    assert base.coverage_note.startswith(f"per-test coverage covers {base.traced} of 1206 tests")
    assert "slower than sys.monitoring" in base.coverage_note
