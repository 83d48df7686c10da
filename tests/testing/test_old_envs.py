"""The oldest and newest project environments treefix supports, end to end.

TREEFIX_TEST_PY36 / PY37 / PY313 / PY312COV name the interpreters of four virtualenvs that
`.ci/run` creates: Python 3.6 with pytest 5.4 and pytest-cov 2.9 (coverage.py 5.1), as projects of
that era have; Python 3.7 with pytest 4.6.x, and Python 3.13 with the current pytest, both without
coverage.py, like many real projects' environments; Python 3.12 with the current pytest,
pytest-cov and coverage.py 7. Outside CI, unset means skipped; under CI it is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.testing.legacy_projects import BUG, TESTS, as_sets, write_legacy
from treefix.cli.app import app
from treefix.sandbox.local import LocalSandbox, support_dir
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import Status
from treefix.workspace.snapshot import snapshot

# tracer: the recorder treefix's plugin picks there. coverage.py's own collector is never used:
# before 3.12 treefix's tracer borrows its compiled tracer, from 3.12 sys.monitoring records
OWN_C = "ctracer (the project's coverage.py)"
ENVS = {
    "TREEFIX_TEST_PY36": {"python": (3, 6), "pytest": "5.4.", "tracer": OWN_C, "coverage": True},
    "TREEFIX_TEST_PY37": {
        "python": (3, 7),
        "pytest": "4.6.",
        "tracer": "settrace",
        "coverage": False,
    },
    "TREEFIX_TEST_PY313": {
        "python": (3, 13),
        "pytest": "",
        "tracer": "sys.monitoring",
        "coverage": False,
    },
    "TREEFIX_TEST_PY312COV": {
        "python": (3, 12),
        "pytest": "",
        "tracer": "sys.monitoring",
        "coverage": True,
    },
}


@pytest.fixture(params=sorted(ENVS), ids=lambda var: var.removeprefix("TREEFIX_TEST_").lower())
def old_env(request) -> tuple[str, dict]:
    var = request.param
    python = os.environ.get(var, "")
    if not python:
        if os.environ.get("CI"):
            pytest.fail(f"{var} is not set: .ci/run creates this virtualenv and exports its python")
        pytest.skip(f"{var} is not set (.ci/run sets it)")
    if not Path(python).is_file():
        pytest.fail(f"{var}={python} does not exist: rerun .ci/run")
    return python, ENVS[var]


def _ask(python: str, code: str) -> str:
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    return (out.stdout + out.stderr).strip()


def test_the_environment_is_what_it_claims_to_be(old_env):
    python, want = old_env
    version = json.loads(_ask(python, "import sys, json; print(json.dumps(sys.version_info[:2]))"))
    assert tuple(version) == want["python"]
    pytest_version = _ask(python, "import pytest; print(pytest.__version__)")
    assert pytest_version.startswith(want["pytest"]) and int(pytest_version.split(".")[0]) >= 4
    has_coverage = want["coverage"]
    assert ("No module named 'coverage'" in _ask(python, "import coverage")) is not has_coverage


def test_the_support_files_compile_in_that_interpreter(old_env):
    python, _ = old_env
    for path in sorted(Path(support_dir()).glob("*.py")):
        code = f"compile(open({str(path)!r}).read(), {path.name!r}, 'exec'); print('ok')"
        assert _ask(python, code) == "ok", path.name


def _baseline(root: Path, python: str, **kw):
    box = LocalSandbox(snapshot(root))
    try:
        runner = TestRunner(detect_test_command(root, f"{python} -m pytest"))
        return runner, runner.run(box, {}, timeout=120, **kw)
    finally:
        box.close()


def test_outcomes_and_per_test_coverage_in_that_environment(old_env, tmp_path: Path):
    python, want = old_env
    root = write_legacy(tmp_path / "proj")
    runner, report = _baseline(root, python, per_test_timeout=10, coverage=True)
    assert runner.harness.plugin and runner.harness.tracer == want["tracer"]
    assert runner.harness.python.startswith(".".join(map(str, want["python"])))
    assert report.status is Status.FAILED
    assert set(report.tests) == TESTS
    assert report.failing() == ["tests/test_unit.py::StatsTest::test_mean"]
    assert report.tests["tests/test_unit.py::StatsTest::test_mean"].frames == [
        ("tests/test_unit.py", 15)
    ]
    assert report.tests["tests/test_unit.py::StatsTest::test_mean"].duration > 0
    # the same lines as treefix's own interpreter records (its C tracer)
    _, reference = _baseline(root, sys.executable, coverage=True)
    assert reference.coverage is not None and report.coverage is not None
    assert as_sets(report.coverage) == as_sets(reference.coverage)


def test_above_the_trace_cap_the_run_is_untraced_and_says_so(old_env, tmp_path: Path):
    """A large suite's first baseline run (pipeline/traced.py): each recorder (coverage.py 5.1,
    settrace, sys.monitoring) stops as collection passes the cap; every outcome still comes."""
    python, want = old_env
    root = write_legacy(tmp_path / "proj")
    runner, over = _baseline(root, python, coverage=True, trace_max_tests=len(TESTS) - 1)
    assert runner.harness.plugin and runner.harness.tracer == want["tracer"]
    assert over.trace_deferred and over.coverage is None and set(over.tests) == TESTS
    _, at = _baseline(root, python, coverage=True, trace_max_tests=len(TESTS))
    assert not at.trace_deferred and at.coverage is not None and set(at.coverage) == TESTS


def test_the_per_test_limit_cuts_a_loop(old_env, tmp_path: Path):
    python, _ = old_env
    root = write_legacy(tmp_path / "proj")
    (root / "tests/test_loop.py").write_text("def test_loop():\n    while True:\n        pass\n")
    _, report = _baseline(root, python, per_test_timeout=1)
    assert report.status is Status.TIMEOUT
    loop = report.tests["tests/test_loop.py::test_loop"]
    assert "per-test limit" in loop.message
    assert loop.frames[-1] in {("tests/test_loop.py", 2), ("tests/test_loop.py", 3)}  # in the loop
    assert len(report.passing()) == 4


def test_treefix_repairs_a_wrong_output_bug_in_that_environment(old_env, tmp_path: Path):
    python, want = old_env
    root = write_legacy(tmp_path / "proj")
    args = ["repair", str(root), "--json", "--apply", "--sandbox", "local", "--workers", "2"]
    args += ["--max-evals", "100", "--time-limit", "150", "--test-cmd", f"{python} -m pytest"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    if want["tracer"] == "settrace":  # the slow recorder is named, with what would speed it up
        assert "own line tracer (settrace" in result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["status"] == "fixed" and report["fix"]["files"] == ["pkg/stats.py"]
    assert report["baseline"]["tracer"] == want["tracer"]
    assert BUG not in (root / "pkg/stats.py").read_text()
    # the applied fix passes the project's own suite in its own interpreter
    check = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout


def test_a_project_whose_addopts_run_pytest_cov(old_env, tmp_path: Path):
    """`addopts = --cov=...` (pytest-cov) beside treefix's own coverage: pytest-cov is turned off
    in treefix's runs (its collector and treefix's stopped out of order, an internal error, and
    `--cov-fail-under` failed runs whose tests all pass), and the bug is repaired."""
    python, want = old_env
    if not want["coverage"]:
        pytest.skip("this environment has no pytest-cov")
    root = write_legacy(tmp_path / "proj")
    (root / "setup.cfg").write_text(
        "[tool:pytest]\naddopts = -vvv --cov=pkg --cov-report term-missing --cov-fail-under=100\n"
    )
    by_hand = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "coverage: platform" in by_hand.stdout  # pytest-cov runs in the project
    args = ["repair", str(root), "--json", "--apply", "--sandbox", "local", "--workers", "2"]
    args += ["--max-evals", "100", "--time-limit", "150", "--test-cmd", f"{python} -m pytest"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["status"] == "fixed" and report["fix"]["files"] == ["pkg/stats.py"]
    assert BUG not in (root / "pkg/stats.py").read_text()


def test_lines_a_test_module_runs_at_import_count_for_its_tests(old_env, tmp_path: Path):
    """A test module that builds its fixture data at import (an app and its routes registered by
    decorators, as FastAPI's tests do): the bug runs before any test, so per-test recording alone
    gave the failing test no project line at all and nothing was searched."""
    python, _ = old_env
    root = write_legacy(tmp_path / "proj")
    (root / "pkg/routes.py").write_text(
        "def register(table, path):\n"
        "    key = path.strip('/')\n"
        "    table[key] = len(table)\n"
        "    return key\n"
    )
    (root / "tests/test_routes.py").write_text(
        "from pkg.routes import register\n"
        "\n"
        "TABLE = {}\n"
        "register(TABLE, '/users/')\n"
        "\n"
        "\n"
        "def test_registered_under_its_path():\n"
        "    assert '/users/' in TABLE\n"
        "\n"
        "\n"
        "def test_one_route():\n"
        "    assert len(TABLE) == 1\n"
    )
    for interpreter in (python, sys.executable):
        _, report = _baseline(root, interpreter, per_test_timeout=10, coverage=True)
        failing = "tests/test_routes.py::test_registered_under_its_path"
        assert failing in report.failing()
        assert report.coverage is not None
        assert {2, 3, 4} <= set(report.coverage[failing].get("pkg/routes.py", [])), interpreter
        assert {2, 3, 4} <= set(
            report.coverage["tests/test_routes.py::test_one_route"].get("pkg/routes.py", [])
        )
        # a module's import lines go to its own tests only
        assert "pkg/routes.py" not in report.coverage["tests/test_unit.py::StatsTest::test_mean"]
