"""bench/real/fixkit_run.py on the local fixture: selection, fresh copies per tool, the shared
scorer, resumption and the per-tool summary. FixKit itself is not needed: a stand-in command
answers as fixkit_driver.py does (the FixKit run is bench-only)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "bench" / "real"
sys.path.insert(0, str(REAL))

import fixkit_run  # noqa: E402
from corpus import built_bugs  # noqa: E402
from test_real_corpus import (  # noqa: E402  (the fixture corpus, built once per module)
    BUGGY_SRC,
    FAKE,
    TESTS,
    built,
    diff,
)

__all__ = ["built"]  # the module-scoped fixture, shared with test_real_corpus

GOOD = diff("calc/ops.py", BUGGY_SRC, BUGGY_SRC.replace("a - b", "a + b"))
EDITS_TESTS = diff("tests/test_ops.py", TESTS, TESTS.replace("== 5", "== -1"))

# Answers like fixkit_driver.py; refuses (no JSON) when its copy is not fresh or the selection is off.
FAKE_DRIVER = textwrap.dedent(
    """
    import argparse, json, pathlib, sys
    ap = argparse.ArgumentParser()
    for flag in ("--tool", "--src", "--time-limit", "--out", "--workers"):
        ap.add_argument(flag)
    ap.add_argument("--tests", action="append")
    a = ap.parse_args()
    src = pathlib.Path(a.src)
    if (src / "MARK").exists() or a.tests != ["tests/test_ops.py"] or a.time_limit != "7.0":
        sys.exit("not a fresh copy or not the bug's test selection")
    (src / "MARK").write_text(a.tool)
    patch = {patches!r}[a.tool]
    print(json.dumps({{"status": "fixed" if patch else "no_fix", "patch": patch,
                      "evaluations": 9, "evals_to_first_fix": 4, "time_to_first_fix": 1.5}}))
    """
)


def run_script(built: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    fake_treefix = tmp_path / "fake_treefix.py"
    fake_treefix.write_text(FAKE.format(patch=GOOD))
    fake_driver = tmp_path / "fake_driver.py"
    fake_driver.write_text(FAKE_DRIVER.format(patches={"genprog": GOOD, "kali": EDITS_TESTS}))
    argv = [sys.executable, str(REAL / "fixkit_run.py"), "--work", str(built / "work")]
    argv += ["--validated", str(built / "validated.json"), "--results", str(tmp_path)]
    argv += ["--run", "cmp", "--time-limit", "7", "--only", "fixture-repo"]
    argv += ["--treefix-cmd", f"{sys.executable} {fake_treefix}"]
    argv += ["--fixkit-cmd", f"{sys.executable} {fake_driver}", *extra]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_each_tool_runs_on_a_fresh_copy_and_is_judged_by_the_same_scorer(
    built: Path, tmp_path: Path
) -> None:
    done = run_script(built, tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "cmp.jsonl").read_text().splitlines()]
    assert [(r["id"], r["tool"]) for r in rows] == [
        ("fixture-repo", "treefix"),
        ("fixture-repo", "genprog"),
        ("fixture-repo", "kali"),
    ]
    by_tool = {r["tool"]: r for r in rows}
    assert by_tool["treefix"]["plausible"] and by_tool["treefix"]["ast_equal"]
    genprog, kali = by_tool["genprog"], by_tool["kali"]
    assert genprog["plausible"] and genprog["ast_equal"], genprog
    assert (genprog["evaluations"], genprog["time_to_first_fix"]) == (9, 1.5)
    assert not kali["plausible"] and kali["why"] == "the patch edits test files", kali
    assert kali["tests_touched"] == ["tests/test_ops.py"]
    out = done.stdout
    assert "| genprog | 1 | 1/1 (100%) | 1/1 (100%) | 1/1 (100%) | 1.5 | 9.0 | 4.0 |" in out
    assert "| kali | 1 | 0/1 (0%) | 0/1 (0%) | 1/1 (100%) | - | 9.0 | - |" in out
    assert "- plausible by genprog, not by kali (1): fixture-repo" in out
    assert "- plausible by treefix, not by kali (1): fixture-repo" in out

    again = run_script(built, tmp_path)  # resumes: every (bug, tool) pair is already scored
    assert again.returncode == 0, again.stderr
    assert "0 tool run(s) to do" in again.stderr
    assert len((tmp_path / "cmp.jsonl").read_text().splitlines()) == 3


def test_missing_fixkit_venv_is_a_one_line_error(built: Path, tmp_path: Path) -> None:
    argv = [sys.executable, str(REAL / "fixkit_run.py"), "--work", str(built / "work")]
    argv += ["--results", str(tmp_path), "--fixkit-python", str(tmp_path / "none" / "python")]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: no FixKit venv at ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "fixkit.jsonl").exists()


def test_fixkit_gets_the_test_paths_of_the_bugs_command() -> None:
    assert fixkit_run.test_paths("/e/bin/python -m pytest -q tests/test_solution.py") == [
        "tests/test_solution.py"
    ]
    cmd = "py -m pytest -x -p no:cacheprovider tests/a.py::test_b -k 'x or y' tests/c.py"
    assert fixkit_run.test_paths(cmd) == ["tests/a.py::test_b", "tests/c.py"]
    assert fixkit_run.test_paths("py -m pytest -q") == ["tests"]


def test_project_env_runs_fixkits_python_and_coverage_on_the_bugs_interpreter(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bug = next(b for b in built_bugs(built / "work") if b.bug.id == "fixture-repo")
    monkeypatch.setattr(fixkit_run, "OVERLAY", tmp_path / "overlay")
    with pytest.raises(SystemExit, match="no FixKit overlay for Python current"):
        fixkit_run.project_bin(bug, tmp_path)
    overlay = tmp_path / "overlay" / f"py{bug.bug.python}"
    (overlay / "plugin_here").mkdir(parents=True)
    bins = fixkit_run.project_bin(bug, tmp_path)
    probe = "import sys, plugin_here; print(sys.executable)"
    done = subprocess.run(
        [str(bins / "python"), "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == str(Path(bug.env) / "bin" / "python")
    # `coverage` is that interpreter's `-m coverage`, found in the overlay before anything else
    (overlay / "coverage").mkdir()
    (overlay / "coverage" / "__init__.py").write_text("")
    (overlay / "coverage" / "__main__.py").write_text("import sys; print('cov', sys.argv[1:])")
    done = subprocess.run([str(bins / "coverage"), "json"], capture_output=True, text=True)
    assert done.stdout.strip() == "cov ['json']", done.stderr


def test_summary_counts_only_bugs_every_tool_has_run() -> None:
    rows = [
        {"id": "a", "tool": "treefix", "plausible": True, "ast_equal": True},
        {"id": "a", "tool": "kali", "plausible": False},
        {"id": "b", "tool": "treefix", "plausible": True},  # the run stopped before kali ran on b
    ]
    out = fixkit_run.summary(rows, ["treefix", "kali"])
    assert "| treefix | 1 | 1/1 (100%) | 1/1 (100%) |" in out
    assert "| kali | 1 | 0/1 (0%) |" in out
    assert "- plausible by treefix, not by kali (1): a\n" in out
