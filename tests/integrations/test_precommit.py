"""The pre-commit hooks of this repo, for real: `pre-commit try-repo` installs treefix from this
repository into its own venv (from PyPI) and runs the hooks on a fixture git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import BUGGY, git, init_repo, write_tree

REPO = Path(__file__).resolve().parents[2]
FIXED_LINE = "    if len(prices) >= discount_from:\n"
pytestmark = pytest.mark.slow


def _pre_commit() -> str:
    exe = Path(sys.executable).parent / "pre-commit"
    if not exe.exists():
        pytest.fail("pre-commit is part of the dev extra: pip install -e '.[dev]'")
    return str(exe)


@pytest.fixture(scope="module")
def pc_home(tmp_path_factory) -> Path:
    """One pre-commit cache for the module: the hook venv is built once, then reused."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """This repository's working tree (tracked and untracked, not ignored) as one commit, so the
    hooks are tried exactly as they are on disk, committed or not."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode().split("\0")
    dest = tmp_path_factory.mktemp("treefix-src") / "treefix"
    for name in filter(None, listed):
        src = REPO / name
        if src.is_file() and not name.startswith(("bench/", "tests/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return init_repo(dest)


def _try_repo(root: Path, home: Path, repo: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    return _run(root, home, "try-repo", str(repo), *args)


def _run(root: Path, home: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "TREEFIX_SANDBOX": "local",
        "TREEFIX_WORKERS": "2",
        "PRE_COMMIT_COLOR": "never",
    }
    for var in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "VIRTUAL_ENV"):
        env.pop(var, None)
    t0 = time.monotonic()
    out = subprocess.run(
        [_pre_commit(), *args, "--verbose"],
        cwd=root, capture_output=True, text=True, timeout=900, env=env,
    )
    return out, time.monotonic() - t0


def _fixture(tmp_path: Path) -> Path:
    root = init_repo(write_tree(tmp_path / "shop", BUGGY))
    (root / "notes.txt").write_text("untracked\n")
    return root


def test_check_hook_prints_the_fix_and_changes_nothing(tmp_path, pc_home, hook_repo):
    root = _fixture(tmp_path)
    before = {p: (root / p).read_bytes() for p in (*BUGGY, "notes.txt")}
    status = git(root, "status", "--porcelain")
    first, _ = _try_repo(root, pc_home, hook_repo, "treefix-check", "--all-files")
    assert first.returncode == 1, first.stdout + first.stderr
    text = first.stdout + first.stderr
    assert "+" + FIXED_LINE.rstrip("\n") in text
    assert "treefix-fix --hook-stage manual" in text
    assert {p: (root / p).read_bytes() for p in before} == before
    assert git(root, "status", "--porcelain") == status
    # the hook's venv is the plain `pip install treefix` (the offline core, no extras): the model
    # and Docker features there name the extra they need instead of failing obscurely
    rev = git(hook_repo, "rev-parse", "HEAD").strip()
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hook_repo}\n  rev: {rev}\n  hooks:\n  - id: treefix-check\n"
    )
    second, _ = _run(root, pc_home, "run", "treefix-check", "--all-files")  # builds a cached venv
    assert second.returncode == 1, second.stdout + second.stderr
    exe = next(pc_home.glob("repo*/py_env-*/bin/treefix"))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "ANTHROPIC_API_KEY")}
    for module in ("anthropic", "openai", "docker"):
        probe = subprocess.run([str(exe.parent / "python"), "-c", f"import {module}"], capture_output=True)
        assert probe.returncode != 0, f"{module} should be an extra, not a core dependency"
    model = subprocess.run(
        [str(exe), "repair", str(root), "--proposer", "model", "--provider", "anthropic"],
        capture_output=True, text=True, env={**env, "ANTHROPIC_API_KEY": "sk-test-not-used"},
    )
    assert model.returncode == 4
    assert "pip install 'treefix[anthropic]'" in model.stderr
    docker = subprocess.run(
        [str(exe), "repair", str(root), "--sandbox", "docker"], capture_output=True, text=True, env=env
    )
    assert docker.returncode == 3
    assert "pip install 'treefix[docker]'" in docker.stderr
    auto = subprocess.run(
        [str(exe), "repair", str(root), "--sandbox", "local", "--workers", "1"],
        capture_output=True, text=True, env={**env, "ANTHROPIC_API_KEY": "sk-test-not-used"},
    )
    assert auto.returncode == 0, auto.stderr[-2000:]
    assert "treefix[anthropic]'; proposing offline" in auto.stderr
    assert "+" + FIXED_LINE.rstrip("\n") in auto.stdout + auto.stderr
    assert {p: (root / p).read_bytes() for p in before} == before


def test_check_hook_passes_when_the_tests_pass(tmp_path, pc_home, hook_repo):
    root = _fixture(tmp_path)
    cart = root / "shop/cart.py"
    cart.write_text(cart.read_text().replace("> discount_from", ">= discount_from"))
    git(root, "commit", "-qam", "fixed by hand")
    out, _ = _try_repo(root, pc_home, hook_repo, "treefix-check", "--all-files")
    assert out.returncode == 0, out.stdout + out.stderr
    assert not (root / ".treefix" / "runs").exists() or not list((root / ".treefix/runs").iterdir())
    assert git(root, "for-each-ref", "refs/treefix") == ""


def test_fix_hook_writes_the_validated_fix(tmp_path, pc_home, hook_repo):
    root = _fixture(tmp_path)
    out, _ = _try_repo(root, pc_home, hook_repo, "treefix-fix", "--all-files", "--hook-stage", "manual")
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "files were modified by this hook" in text
    assert FIXED_LINE in (root / "shop/cart.py").read_text()
    assert git(root, "status", "--porcelain").splitlines() == [" M shop/cart.py", "?? notes.txt"]
    check = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=root, capture_output=True)
    assert check.returncode == 0


def test_hooks_file_is_valid():
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"treefix-check", "treefix-fix"}
    assert hooks["treefix-fix"]["stages"] == ["manual"]
    assert shutil.which("git")
    out = subprocess.run(
        [_pre_commit(), "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
