"""A large suite's baseline in the Docker sandbox: the untraced whole-suite run, then the traced
subset, with the same coverage as the local sandbox gives."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.docker.docker_helpers import open_sandbox, runner_for
from tests.pipeline.test_pipeline_traced_subset import STATS, CountingExecutor, stats_project
from treefix.pipeline.baseline import run_baseline
from treefix.pipeline.options import SearchOptions
from treefix.sandbox.local import LocalSandbox
from treefix.sandbox.pool import SandboxPool
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.workspace.snapshot import snapshot

pytestmark = pytest.mark.docker


def _lines(coverage: dict) -> dict:
    return {t: {p: sorted(ls) for p, ls in files.items()} for t, files in coverage.items()}


def test_the_subset_baseline_runs_in_docker_as_it_does_locally(
    tmp_path: Path, docker_engine, sandbox_image
) -> None:
    project = snapshot(str(stats_project(tmp_path / "p")))
    opts = SearchOptions(trace_max_tests=10, baseline_trace_ratio=1.0)
    got = {}
    for kind, box, runner in (
        (
            "docker",
            open_sandbox(project, docker_engine, sandbox_image, "t-sub"),
            runner_for(project),
        ),
        ("local", LocalSandbox(project), TestRunner(detect_test_command(project.root, None))),
    ):
        executor = CountingExecutor(SandboxPool([box]), runner)
        try:
            first = run_baseline(executor, opts, time.monotonic() + 300)
        finally:
            executor.close()
        assert len(executor.evaluations) == 2, kind
        assert executor.evaluations[1].tests == STATS, kind
        got[kind] = first.report
    docker, local = got["docker"], got["local"]
    assert docker.traced == local.traced == 3
    assert docker.failing() == local.failing() == ["tests/test_stats.py::test_mean"]
    assert docker.coverage is not None and local.coverage is not None
    assert _lines(docker.coverage) == _lines(local.coverage)
    assert docker.coverage_note.startswith("per-test coverage covers 3 of 36 tests")
