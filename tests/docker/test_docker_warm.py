"""The warm runner in the Docker sandbox: one pytest server per container, one child per candidate.

What a user would notice: `--sandbox docker` runs candidates warm (the header says so), with the
same per-test results as cold runs; a candidate that wrecks the interpreter, hangs, exhausts
memory, leaves processes or files, or kills its server cannot change the next one's verdict.
"""

from __future__ import annotations

import secrets

import pytest

from tests.docker.docker_helpers import open_sandbox, outcomes
from tests.testing.test_warm_runner import (
    CALC,
    FIXED,
    TESTS,
    _write,
    hung_then_clean,
    wrecked_then_clean,
    wrecks,
)
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import Status
from treefix.workspace.snapshot import snapshot

pytestmark = pytest.mark.docker


@pytest.fixture
def calc(tmp_path, docker_engine, sandbox_image):
    project = snapshot(_write(tmp_path / "calc", CALC))
    box = open_sandbox(
        project, docker_engine, sandbox_image, f"warm-{secrets.token_hex(3)}", memory="512m"
    )
    command = detect_test_command(project.root, None, python="python3")
    runner = TestRunner(command, mode="warm")
    try:
        base = runner.run(box, {}, timeout=120)
        assert outcomes(base) == {TESTS[0]: "failed", TESTS[1]: "passed"}, base.output[-2000:]
        assert runner.warm, runner.harness.runner
        yield runner, box
    finally:
        runner.close()
        box.close()


def _cold(runner: TestRunner, box) -> TestRunner:
    cold = TestRunner(runner.command, mode="cold")
    cold.run(box, {}, timeout=60)
    return cold


def _uid_1000(box) -> list[str]:
    code, out = box.container.exec_run(["ps", "-eo", "pid,user,stat,args"])
    assert code == 0, out
    rows = [ln.split(None, 3) for ln in out.decode().splitlines()[1:]]
    return [r[3] for r in rows if r[1] == "1000" and not r[2].startswith("Z")]


def test_the_docker_sandbox_serves_candidates_warm(calc):
    runner, box = calc
    assert runner.harness.runner.startswith("warm (one pytest server per worker")
    assert " MiB, forked per candidate" in runner.harness.runner  # what a server costs
    good = runner.run(box, {"calc.py": FIXED}, TESTS, timeout=60)
    assert outcomes(good) == dict.fromkeys(TESTS, "passed")
    assert runner.warm_runs == 1
    # between runs only the server lives as the candidate's uid in the container
    assert [a for a in _uid_1000(box) if "treefix_warm" not in a] == []


@wrecks("stdlib-patched", "thread-left", "cwd-changed", "tmp-file", "daemon-left")
def test_a_candidate_that_corrupts_its_world_cannot_affect_the_next(calc, wreck):
    runner, box = calc
    wrecked_then_clean(runner, box, wreck)
    assert runner.warm_runs == 2
    assert not any("sleep" in a for a in _uid_1000(box))


def test_a_hanging_candidate_is_stopped_and_the_server_kept(calc):
    runner, box = calc
    hung_then_clean(runner, box, within=15)
    assert runner.warm_runs == 2 and runner._server(box).starts == 1


def test_a_memory_hog_is_classified_as_out_of_memory_and_the_next_run_is_clean(calc):
    runner, box = calc
    hog = b"def add(a, b):\n    x = [bytearray(1 << 20) for _ in range(4096)]\n    return a + b\n"
    rep = runner.run(box, {"calc.py": hog}, TESTS, timeout=60)
    cold = _cold(runner, box)
    want = cold.run(box, {"calc.py": hog}, TESTS, timeout=60)
    assert rep.status is want.status is Status.OOM, (rep.status, rep.detail)
    good = runner.run(box, {"calc.py": FIXED}, TESTS, timeout=60)
    assert outcomes(good) == dict.fromkeys(TESTS, "passed")
    again = cold.run(box, {"calc.py": FIXED}, TESTS, timeout=60)
    assert again.status is Status.PASSED  # the cold counters were kept in step


def test_a_candidate_that_kills_its_server_is_graded_by_a_cold_rerun(calc):
    runner, box = calc
    killer = b"import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + FIXED
    rep = runner.run(box, {"calc.py": killer}, TESTS, timeout=60)
    want = _cold(runner, box).run(box, {"calc.py": killer}, TESTS, timeout=60)
    # in a cold run the killer's parent is `timeout`: the run ends while pytest may still be
    # writing results, so which tests got a verdict is a race; the verdict itself is not
    assert rep.status is want.status is Status.CRASHED, (rep.status, rep.detail)
    assert runner.warm_runs == 0
    good = runner.run(box, {"calc.py": FIXED}, TESTS, timeout=60)
    assert outcomes(good) == dict.fromkeys(TESTS, "passed")
    assert runner._server(box).starts == 2  # replaced, not trusted


def test_coverage_from_a_warm_child_matches_a_cold_run(calc):
    runner, box = calc
    warm = runner.run(box, {}, None, timeout=60, coverage=True)
    want = _cold(runner, box).run(box, {}, None, timeout=60, coverage=True)
    assert warm.coverage and warm.coverage == want.coverage
