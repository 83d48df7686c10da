"""The benchmark corpus is sound: every buggy case fails its tests, its reference fix makes them pass.

The examples shipped in examples/ are held to the same rule (reference fixes in bench/fixes/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
CORPUS = BENCH / "corpus"
FIXES = BENCH / "fixes"
EXAMPLES = ROOT / "examples"
CASES: dict[str, dict] = tomllib.loads((BENCH / "cases.toml").read_text())["cases"]
# example projects are the folders with tests (examples/github holds a workflow, not a project)
EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "tests").is_dir())
TIMEOUT = 10.0  # seconds for one pytest run of a case; only `hangs` cases may reach it

PROJECTS = [
    pytest.param(CORPUS / cid, FIXES / f"{cid}.patch", bool(meta.get("hangs")), id=cid)
    for cid, meta in CASES.items()
] + [
    pytest.param(EXAMPLES / name, FIXES / f"example-{name}.patch", False, id=f"example-{name}")
    for name in EXAMPLE_NAMES
]


def run_pytest(project: Path) -> int | None:
    """pytest's exit code in `project`, or None when it ran past TIMEOUT."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", "."]
    try:
        proc = subprocess.run(argv, cwd=project, env=env, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    return proc.returncode


def apply_patch(project: Path, patch: Path) -> None:
    # Keep git from resolving paths against an enclosing repository's root.
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(project.parent))
    if shutil.which("git"):
        argv = ["git", "apply", str(patch)]
    else:
        argv = ["patch", "-p1", "--batch", "--forward", "-i", str(patch)]
    proc = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{patch.name} does not apply: {proc.stderr}"


def test_cases_table_matches_corpus():
    dirs = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert set(CASES) == dirs
    assert len(CASES) >= 28
    for cid, meta in CASES.items():
        assert meta.get("kind") and meta.get("description"), cid
        assert meta.get("edits") in (1, 2), cid
        assert (FIXES / f"{cid}.patch").is_file(), cid
        assert (CORPUS / cid / "conftest.py").is_file(), cid
        assert list((CORPUS / cid / "tests").glob("test_*.py")), cid
    assert sum(meta["edits"] == 2 for meta in CASES.values()) >= 4
    assert any(meta.get("hangs") for meta in CASES.values())


@pytest.mark.parametrize("patch", sorted(FIXES.glob("*.patch")), ids=lambda p: p.stem)
def test_reference_fixes_leave_tests_alone(patch: Path):
    touched = [
        line.split(None, 1)[1] for line in patch.read_text().splitlines() if line.startswith("+++ ")
    ]
    assert touched, f"{patch.name} changes nothing"
    assert all(t.startswith("b/") and "/tests/" not in f"/{t[2:]}" for t in touched), touched


@pytest.mark.slow
@pytest.mark.parametrize(("project", "patch", "hangs"), PROJECTS)
def test_buggy_fails_and_reference_fix_passes(tmp_path: Path, project: Path, patch: Path, hangs):
    copy = tmp_path / project.name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))

    code = run_pytest(copy)
    if hangs:
        assert code is None, f"marked `hangs` but pytest finished with exit code {code}"
    else:
        assert code in (1, 2), f"the buggy version should fail its tests, pytest exit code {code}"

    apply_patch(copy, patch)
    assert run_pytest(copy) == 0, "tests still fail with the reference fix applied"
