"""The warm runner: a pytest server per sandbox that forks one child per candidate.

What a user would notice: the same per-test results as cold runs, a candidate that wrecks the
interpreter, hangs or kills things cannot change the next candidate's verdict, and where the warm
runner cannot serve, runs stay cold and the header says why.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from treefix.sandbox.local import LocalSandbox
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.testing.warm.choose import cold_reason
from treefix.types import Status
from treefix.workspace.snapshot import snapshot

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "bench" / "corpus"
FIXES = ROOT / "bench" / "fixes"
CASES = tomllib.loads((ROOT / "bench" / "cases.toml").read_text())["cases"]

CALC = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "tests/test_calc.py": """\
        import json
        import os
        import threading

        from calc import add

        HERE = os.getcwd()

        def test_add():
            assert add(2, 3) == 5

        def test_interpreter_is_clean():
            assert json.dumps({"a": 1}) == '{"a": 1}'
            assert os.getcwd() == HERE
            assert threading.active_count() == 1
            assert not os.path.exists("/tmp/treefix-warm-left-this")
            assert not os.path.exists("left-behind.txt")
        """,
}
FIXED = b"def add(a, b):\n    return a + b\n"
TESTS = ["tests/test_calc.py::test_add", "tests/test_calc.py::test_interpreter_is_clean"]


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


def outcomes(report) -> dict[str, str]:
    return {k: v.outcome for k, v in report.tests.items()}


@pytest.fixture
def calc(tmp_path):
    project = snapshot(_write(tmp_path / "calc", CALC))
    box = LocalSandbox(project)
    runner = TestRunner(detect_test_command(project.root, None), mode="warm")
    base = runner.run(box, {}, timeout=120)
    assert outcomes(base) == {TESTS[0]: "failed", TESTS[1]: "passed"}, base.output[-2000:]
    assert runner.warm, runner.harness.runner
    yield runner, box
    runner.close()
    box.close()


def _server(runner: TestRunner, box):
    return runner._server(box)


def test_header_says_the_runner_is_warm(calc):
    runner, _ = calc
    assert runner.harness.runner.startswith("warm (one pytest server per worker")


# Candidates that wreck the world the next one runs in; the Docker warm tests use them too
WRECKS = {
    "stdlib-patched": "import json\njson.dumps = lambda *a, **k: 'wrecked'\n",
    "thread-left": "import threading, time\nthreading.Thread(target=time.sleep, args=(600,)).start()\n",
    "cwd-changed": "import os\nos.chdir('/')\n",
    "modules-deleted": "import sys\nsys.modules.pop('json', None)\nsys.modules['os'].getcwd = lambda: '/nowhere'\n",
    "tmp-file": "open('/tmp/treefix-warm-left-this', 'w').write('x')\n",
    "file": "open('left-behind.txt', 'w').write('x')\n",
    "daemon-left": "import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\n",
}


def wrecks(*names: str):
    return pytest.mark.parametrize("wreck", [WRECKS[n] for n in names], ids=list(names))


def wrecked_then_clean(runner, box, wreck: str) -> None:
    """A candidate that runs `wreck` when imported, then the fix: the fix's run must not see it."""
    bad = runner.run(box, {"calc.py": (wreck + FIXED.decode()).encode()}, TESTS, timeout=60)
    assert bad.tests[TESTS[0]].outcome == "passed"  # the wreck ran: the module imported
    good = runner.run(box, {"calc.py": FIXED}, TESTS, timeout=60)
    assert good.status is Status.PASSED, good.output[-2000:]
    assert outcomes(good) == dict.fromkeys(TESTS, "passed")


def hung_then_clean(runner, box, within: float) -> None:
    """A candidate that loops forever is stopped within `within` s; the fix after it passes."""
    loop = b"def add(a, b):\n    while True:\n        pass\n"
    start = time.monotonic()
    hung = runner.run(box, {"calc.py": loop}, TESTS, timeout=3, per_test_timeout=0)
    assert hung.status is Status.TIMEOUT and time.monotonic() - start < within
    good = runner.run(box, {"calc.py": FIXED}, TESTS, timeout=60)
    assert outcomes(good) == dict.fromkeys(TESTS, "passed")


@wrecks("stdlib-patched", "thread-left", "cwd-changed", "modules-deleted", "tmp-file", "file")
def test_a_candidate_that_corrupts_the_interpreter_cannot_affect_the_next(calc, wreck):
    runner, box = calc
    wrecked_then_clean(runner, box, wreck)
    assert runner.warm_runs == 2  # both served warm (a polluting one by a replaced server)


def test_a_candidate_killed_at_the_time_limit_leaves_a_usable_server(calc):
    runner, box = calc
    hung_then_clean(runner, box, within=12)
    assert runner.warm_runs == 2 and _server(runner, box).starts == 1


def test_a_server_that_died_is_replaced_and_the_run_is_not_lost(calc):
    runner, box = calc
    server = _server(runner, box)
    os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    good = runner.run(box, {"calc.py": FIXED}, TESTS, timeout=60)
    assert outcomes(good) == dict.fromkeys(TESTS, "passed")
    assert server.starts == 2 and runner.warm_runs == 1


def test_a_candidate_that_kills_its_server_is_graded_by_a_cold_rerun(calc):
    runner, box = calc
    killer = b"import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + FIXED
    rep = runner.run(box, {"calc.py": killer}, TESTS, timeout=60)
    cold = TestRunner(runner.command, mode="cold")
    cold.run(box, {}, timeout=60)
    want = cold.run(box, {"calc.py": killer}, TESTS, timeout=60)
    assert (rep.status, outcomes(rep)) == (want.status, outcomes(want))


def test_coverage_from_a_warm_child_matches_a_cold_run(calc):
    runner, box = calc
    cold = TestRunner(runner.command, mode="cold")
    cold.run(box, {}, timeout=60)
    warm = runner.run(box, {}, None, timeout=60, coverage=True)
    want = cold.run(box, {}, None, timeout=60, coverage=True)
    assert warm.coverage and warm.coverage == want.coverage
    assert runner.warm_runs == 1


def test_runner_cold_and_non_pytest_commands_stay_cold_and_say_why(tmp_path):
    project = snapshot(_write(tmp_path / "calc", CALC))
    box = LocalSandbox(project)
    try:
        cold = TestRunner(detect_test_command(project.root, None), mode="cold")
        cold.run(box, {}, timeout=60)
        shell = TestRunner(detect_test_command(project.root, "python -m unittest"), mode="warm")
        shell.run(box, {}, timeout=60)
        assert not cold.warm and cold.harness.runner == "cold (runner = cold)"
        assert not shell.warm and "not a pytest command" in shell.harness.runner
        assert "runner = warm asked, but" in shell.harness.runner
        assert box._live == []  # no server was started for either
    finally:
        box.close()


def test_distributed_pytest_runs_are_not_served_warm():
    command = detect_test_command(ROOT, "pytest -n 2 tests")
    assert "xdist" in cold_reason("auto", command, "local", True, [], "3.11.4")
    assert "xdist" in cold_reason("auto", command, "local", True, ["xdist.dsession"], "3.11")
    plain = detect_test_command(ROOT, "pytest tests")
    assert cold_reason("auto", plain, "local", True, ["json"], "3.11.4") == ""
    assert "docker" in cold_reason("auto", plain, "docker", False, ["json"], "3.11.4")
    assert "3.6" in cold_reason("auto", plain, "local", True, ["json"], "3.6.15")


def _fixed_files(case: Path, patch: Path, tmp: Path) -> dict[str, bytes]:
    fixed = tmp / "fixed"
    shutil.copytree(case, fixed)
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp))
    subprocess.run(["git", "apply", str(patch)], cwd=fixed, env=env, check=True)
    out = {}
    for path in fixed.rglob("*.py"):
        rel = path.relative_to(fixed).as_posix()
        if path.read_bytes() != (case / rel).read_bytes():
            out[rel] = path.read_bytes()
    return out


@pytest.mark.slow
@pytest.mark.parametrize("cid", sorted(CASES))
def test_warm_and_cold_give_the_same_per_test_results_on_the_corpus(cid, tmp_path):
    case = tmp_path / cid
    shutil.copytree(CORPUS / cid, case)
    fixed = _fixed_files(case, FIXES / f"{cid}.patch", tmp_path)
    project = snapshot(case)
    box = LocalSandbox(project)
    command = detect_test_command(project.root, None)
    cold, warm = TestRunner(command, mode="cold"), TestRunner(command, mode="warm")
    limits = {"timeout": 60, "per_test_timeout": 2}
    try:
        base = cold.run(box, {}, **limits)
        warm.run(box, {}, **limits)
        assert warm.warm, warm.harness.runner
        failing = sorted(k for k, t in base.tests.items() if t.outcome != "passed")
        for changed, tests in (({}, None), (fixed, None), (fixed, failing), ({}, failing)):
            want = cold.run(box, changed, tests, **limits)
            got = warm.run(box, changed, tests, **limits)
            assert (got.status, outcomes(got)) == (want.status, outcomes(want)), got.output[-3000:]
        assert warm.warm_runs == 4
    finally:
        warm.close()
        box.close()


def test_repair_finds_the_same_fix_warm_and_cold_and_reports_the_runner(buggy_project, tmp_path):
    import json
    import sys

    exe = str(Path(sys.executable).parent / "treefix")
    fast = ["--json", "--max-evals", "150", "--time-limit", "120", "--sandbox", "local"]
    reports = {}
    for mode in ("warm", "cold"):
        out = subprocess.run(
            [exe, "repair", str(buggy_project), *fast, "--runner", mode],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        reports[mode] = json.loads(out.stdout)
        assert f"runner: {mode}" in " ".join(out.stderr.split())
    assert reports["warm"]["sandbox"]["runner"].startswith("warm (")
    assert reports["cold"]["sandbox"]["runner"] == "cold (runner = cold)"
    assert reports["warm"]["status"] == reports["cold"]["status"] == "fixed"
    assert reports["warm"]["fix"]["patch"] == reports["cold"]["fix"]["patch"]
