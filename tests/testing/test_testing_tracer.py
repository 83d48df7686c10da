"""treefix's own per-test line tracer and the plugin's self-protection, run in this interpreter."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.testing.legacy_projects import TESTS, as_sets, source_lines, write_legacy
from treefix.protocols import COVERAGE_LIMIT
from treefix.sandbox.ctracer import ctracer_path
from treefix.sandbox.local import support_dir
from treefix.testing.coverage_file import parse_coverage


def _pytest(project: Path, results: Path, python: str = sys.executable, **env: str):
    """The project's tests with treefix's plugin, as the runner starts them (minus the sandbox)."""
    results.mkdir()
    full = {
        **os.environ,
        "PYTHONPATH": support_dir(),
        "TREEFIX_RESULTS": str(results),
        "TREEFIX_COVERAGE": "1",
        **env,
    }
    if "TREEFIX_TRACER" not in env:
        full.pop("TREEFIX_TRACER", None)
    argv = [python, "-m", "pytest", "-p", "treefix_pytest", "-p", "no:cacheprovider", "-q"]
    argv += [f"--junitxml={results}/junit.xml"]
    out = subprocess.run(argv, cwd=project, env=full, capture_output=True, text=True, timeout=120)
    records = [json.loads(ln) for ln in (results / "results.jsonl").read_text().splitlines()]
    cov_file = results / "coverage.jsonl"
    # the plugin's streamed form (a line per test), read as the runner reads it
    cov = parse_coverage(cov_file.read_text(), COVERAGE_LIMIT)[0] if cov_file.exists() else None
    return out, records, cov


def _coverage_py_reference(project: Path, tmp_path: Path) -> dict:
    """The same tests under coverage.py's own collector (tests/testing/coverage_reference.py)."""
    out = tmp_path / "reference.json"
    path = os.pathsep.join([str(Path(__file__).parent), support_dir()])
    env = {**os.environ, "PYTHONPATH": path, "REFERENCE_OUT": str(out)}
    argv = [sys.executable, "-m", "pytest", "-p", "coverage_reference", "-p", "no:cacheprovider"]
    run = subprocess.run(argv + ["-q"], cwd=project, env=env, capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr  # the legacy project's one bug
    return json.loads(out.read_text())


def test_the_own_tracer_records_what_coverage_py_records(tmp_path: Path):
    """treefix never runs coverage.py's collector (it holds every context to the session's end):
    its recorders, checked against that collector as the reference."""
    project = write_legacy(tmp_path / "proj")
    by_coverage_py = _coverage_py_reference(project, tmp_path)
    out_cov, records_cov, by_default = _pytest(project, tmp_path / "a")
    out_own, records_own, by_tracer = _pytest(project, tmp_path / "b", TREEFIX_TRACER="settrace")
    assert out_cov.returncode == out_own.returncode == 1, out_own.stdout + out_own.stderr
    # no tracer path passed: borrowed from the coverage.py of the tests' interpreter
    assert records_cov[0]["tracer"] == "ctracer (the project's coverage.py)"
    assert records_own[0]["tracer"] == "settrace"
    assert as_sets(by_tracer) == as_sets(by_coverage_py)
    assert as_sets(by_default) == as_sets(by_coverage_py)
    assert set(by_tracer) == TESTS
    mean = "tests/test_unit.py::StatsTest::test_mean"
    assert source_lines(by_tracer, mean) == {2, 3, 4, 5, 21}  # 21: Counter() in setUp
    # setUp and tearDown run inside each unittest test: their lines belong to it
    assert {8, 9, 12, 15} <= set(by_tracer[mean]["tests/test_unit.py"])
    assert source_lines(by_tracer, "tests/test_unit.py::StatsTest::test_counter") == {21, 24, 25}
    assert source_lines(by_tracer, "tests/test_nose.py::test_pairs") == {15, 16}  # a generator
    assert source_lines(by_tracer, "tests/test_nose.py::test_in_a_thread") == {9, 10, 11}
    # module bodies run at import, outside any test: attributed to none
    assert 1 not in source_lines(by_tracer, mean)


def test_the_c_tracer_records_the_same_lines_per_test_as_settrace(tmp_path: Path):
    """coverage.py's compiled tracer, loaded by path from treefix's own coverage.py (the runner
    passes it for local runs): the same per-test lines as the Python settrace tracer, threads,
    generators and unittest's setUp included."""
    project = write_legacy(tmp_path / "proj")
    assert ctracer_path()  # treefix's coverage.py here is the compiled one
    c = {"TREEFIX_TRACER": "ctracer", "TREEFIX_CTRACER": ctracer_path()}
    out_c, records_c, by_c = _pytest(project, tmp_path / "a", **c)
    out_s, records_s, by_s = _pytest(project, tmp_path / "b", TREEFIX_TRACER="settrace")
    assert out_c.returncode == out_s.returncode == 1, out_c.stdout + out_c.stderr
    assert records_c[0]["tracer"] == "ctracer" and records_s[0]["tracer"] == "settrace"
    assert set(by_c) == TESTS
    assert as_sets(by_c) == as_sets(by_s)
    assert source_lines(by_c, "tests/test_nose.py::test_in_a_thread") == {9, 10, 11}


def test_a_c_tracer_this_interpreter_cannot_load_leaves_the_projects_own_then_settrace(
    tmp_path: Path,
):
    """The host's tracer built for another Python is never loaded: the compiled tracer of the
    coverage.py the tests' interpreter has comes next, and settrace when that is pure Python."""
    project = write_legacy(tmp_path / "proj")
    wrong = tmp_path / "tracer.cpython-27-x86_64-linux-gnu.so"  # built for another Python
    wrong.write_bytes(b"\x7fELF")
    c = {"TREEFIX_TRACER": "ctracer", "TREEFIX_CTRACER": str(wrong)}
    _, records, cov = _pytest(project, tmp_path / "r", **c)
    assert records[0]["tracer"] == "ctracer (the project's coverage.py)"
    assert cov is not None and set(cov) == TESTS
    # a coverage.py without its compiled tracer (PyPy's, or built without a compiler) shadows it
    shadow = tmp_path / "shadow" / "coverage"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    path = os.pathsep.join([support_dir(), str(shadow.parent)])
    _, records, cov = _pytest(project, tmp_path / "s", **c, PYTHONPATH=path)
    assert records[0]["tracer"] == "settrace"
    assert cov is not None and set(cov) == TESTS


def test_the_tracer_keeps_only_the_projects_own_files(tmp_path: Path, monkeypatch):
    monkeypatch.syspath_prepend(support_dir())
    import treefix_trace

    root = str(tmp_path)
    tracer = treefix_trace.LineTracer(root)
    assert tracer.relpath(os.path.join(root, "pkg", "m.py")) == "pkg/m.py"
    assert tracer.relpath(os.path.join(root, ".venv/lib/python3.7/site-packages/x.py")) is None
    assert tracer.relpath(os.path.join(root, "deb/dist-packages/y.py")) is None
    assert tracer.relpath(os.__file__) is None
    assert tracer.relpath("<string>") is None
    assert tracer.relpath(root + "-other/m.py") is None  # a sibling folder sharing the prefix


def test_an_error_in_the_plugin_turns_it_off_and_the_run_goes_on(tmp_path: Path):
    project = write_legacy(tmp_path / "proj")
    # sabotage treefix's own code the way an unexpected pytest API would break it
    (project / "conftest.py").write_text("import treefix_pytest\n\ntreefix_pytest._frames = None\n")
    out, records, cov = _pytest(project, tmp_path / "r")
    assert out.returncode == 1, (
        out.stdout + out.stderr
    )  # the project's verdict, not an INTERNALERROR
    assert "INTERNALERROR" not in out.stdout
    errors = [r for r in records if r["event"] == "plugin_error"]
    assert len(errors) == 1 and errors[0]["where"] == "runtest_makereport"
    assert "TypeError" in errors[0]["message"]
    assert cov is None  # turned off: no half-recorded coverage
    junit = (tmp_path / "r" / "junit.xml").read_text()
    assert junit.count("<testcase") == len(TESTS)  # every test still ran and was reported


LINELESS = """\
import sys
import types


def test_cut_where_no_line_is():
    with open(__file__):
        pass
    code = sys._getframe().f_code
    lasti = next(start for start, _, line in code.co_lines() if line is None)
    # what the per-test limit's SIGALRM leaves when it lands on a `with` clean-up instruction
    raise RuntimeError("cut").with_traceback(types.TracebackType(None, sys._getframe(), lasti, -1))


def test_next():
    pass
"""


def test_an_exception_at_an_instruction_without_a_line_is_a_failure_not_an_internal_error(
    tmp_path: Path,
):
    """networkx's traced baseline once ended in pytest's INTERNALERROR `unsupported operand
    type(s) for -: 'NoneType' and 'int'` (its `tb_lineno - 1`, Python 3.11+)."""
    project = tmp_path / "proj"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_cut.py").write_text(LINELESS)
    out, records, _ = _pytest(project, tmp_path / "r", TREEFIX_TEST_TIMEOUT="10")
    assert "INTERNALERROR" not in out.stdout + out.stderr and out.returncode == 1, out.stdout
    results = {r["nodeid"]: r for r in records if r["event"] == "result"}
    cut = results["tests/test_cut.py::test_cut_where_no_line_is"]
    assert cut["outcome"] == "failed" and cut["message"] == "RuntimeError: cut"
    assert cut["frames"] and all(isinstance(line, int) for _, line in cut["frames"])
    assert results["tests/test_cut.py::test_next"]["outcome"] == "passed"
    assert not [r for r in records if r["event"] == "plugin_error"]


@pytest.mark.parametrize("name", ["treefix_pytest.py", "treefix_trace.py"])
def test_what_runs_in_the_projects_interpreter_parses_as_python_37(name: str):
    source = (Path(support_dir()) / name).read_text()
    ast.parse(source, feature_version=(3, 7))
    assert ":=" not in source and "match " not in source


@pytest.mark.parametrize("tracer", ["", "settrace", "ctracer"])
def test_every_recorder_stops_when_collection_passes_the_trace_cap(tmp_path: Path, tracer: str):
    """Above TREEFIX_TRACE_MAX_TESTS collected tests the run goes on untraced (its outcomes all
    there), writes no coverage and says so; at the cap it traces as before."""
    project = write_legacy(tmp_path / "proj")
    env = {"TREEFIX_TRACER": tracer, "TREEFIX_CTRACER": ctracer_path()} if tracer else {}
    over, over_records, over_cov = _pytest(
        project, tmp_path / "over", TREEFIX_TRACE_MAX_TESTS=str(len(TESTS) - 1), **env
    )
    at, at_records, at_cov = _pytest(
        project, tmp_path / "at", TREEFIX_TRACE_MAX_TESTS=str(len(TESTS)), **env
    )
    assert over.returncode == at.returncode == 1, over.stdout + over.stderr
    assert over_cov is None
    assert {"event": "coverage_off", "limit": len(TESTS) - 1} in over_records
    assert {r["nodeid"] for r in over_records if r["event"] == "result"} == TESTS
    assert not any(r["event"] == "plugin_error" for r in over_records)
    assert at_cov is not None and set(at_cov) == TESTS
    assert not any(r["event"] == "coverage_off" for r in at_records)
