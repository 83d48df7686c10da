from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from treefix.errors import UsageError
from treefix.workspace.snapshot import snapshot


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(autouse=True)
def _no_enclosing_repo(tmp_path, monkeypatch):
    # never pick up a repository that happens to enclose the temp dir
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    _write(
        root,
        {
            ".gitignore": "*.log\nbuild_out/\n",
            "pkg/__init__.py": "",
            "pkg/core.py": "X = 1\n",
            "pkg/staged.py": "S = 'committed'\n",
            "README.md": "readme\n",
        },
    )
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "init")
    _write(root, {"pkg/staged.py": "S = 'staged'\n"})
    _git(root, "add", "pkg/staged.py")
    _write(
        root,
        {
            "pkg/staged.py": "S = 'working tree'\n",  # staged, then modified again
            "pkg/untracked.py": "U = 1\n",
            "debug.log": "ignored\n",
            "build_out/gen.py": "ignored = True\n",
            ".treefix/runs/1/state.py": "not the user's code\n",
            "pkg/__pycache__/core.cpython-311.pyc": "bytecode",
        },
    )
    return root


def test_in_git_tracked_and_untracked_count_ignored_and_treefix_do_not(repo):
    project = snapshot(repo)
    assert set(project.files) == {
        ".gitignore",
        "README.md",
        "pkg/__init__.py",
        "pkg/core.py",
        "pkg/staged.py",
        "pkg/untracked.py",
    }
    assert project.sources["pkg/staged.py"] == b"S = 'working tree'\n"  # what is on disk
    assert set(project.sources) == {
        "pkg/__init__.py",
        "pkg/core.py",
        "pkg/staged.py",
        "pkg/untracked.py",
    }
    assert project.root == repo.resolve()
    assert project.git_toplevel == repo.resolve()
    assert project.git_dir == (repo / ".git").resolve()
    assert project.files["pkg/core.py"].size == len("X = 1\n")


def test_in_git_a_deleted_tracked_file_is_left_out(repo):
    (repo / "pkg/core.py").unlink()
    assert "pkg/core.py" not in snapshot(repo).files


def test_snapshot_leaves_the_users_repository_untouched(repo):
    index = repo / ".git" / "index"
    status_before = _git(repo, "status", "--porcelain", "--untracked-files=all")
    index_before = index.read_bytes()
    mtime_before = index.stat().st_mtime_ns
    for _ in range(3):
        snapshot(repo)
    assert index.read_bytes() == index_before
    assert index.stat().st_mtime_ns == mtime_before
    assert not (repo / ".git" / "index.lock").exists()
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == status_before


def test_a_subfolder_of_a_repository_is_its_own_project(repo):
    project = snapshot(repo / "pkg")
    assert set(project.files) == {"__init__.py", "core.py", "staged.py", "untracked.py"}
    assert project.git_toplevel == repo.resolve()


def test_outside_git_the_walk_skips_virtualenvs_and_caches(tmp_path):
    root = tmp_path / "plain"
    _write(
        root,
        {
            "app.py": "A = 1\n",
            "tests/test_app.py": "def test():\n    pass\n",
            "data/config.json": "{}",
            ".venv/lib/python3.11/site-packages/dep.py": "x",
            "__pycache__/app.cpython-311.pyc": "x",
            "tests/__pycache__/t.pyc": "x",
            "node_modules/m/index.js": "x",
            ".treefix/run/state.py": "x",
            "mypkg.egg-info/PKG-INFO": "x",
        },
    )
    project = snapshot(root)
    assert project.git_dir is None
    assert set(project.files) == {"app.py", "tests/test_app.py", "data/config.json"}
    assert set(project.sources) == {"app.py", "tests/test_app.py"}


def test_symlinks_leaving_the_project_are_skipped(tmp_path):
    root = tmp_path / "links"
    _write(root, {"real.py": "R = 1\n"})
    secret = tmp_path / "secret.py"
    secret.write_text("TOKEN = 'outside'\n")
    os.symlink(secret, root / "leak.py")
    os.symlink("/etc", root / "etc")
    os.symlink("real.py", root / "alias.py")
    project = snapshot(root)
    assert "leak.py" in project.skipped
    assert "leak.py" not in project.files and "leak.py" not in project.sources
    assert not any(name.startswith("etc") for name in project.files)
    assert project.sources["alias.py"] == b"R = 1\n"  # a link inside the project is followed
    assert b"outside" not in b"".join(project.sources.values())


def test_a_missing_path_or_a_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        snapshot(tmp_path / "nope")
    f = tmp_path / "file.py"
    f.write_text("x = 1\n")
    with pytest.raises(UsageError, match="not a directory"):
        snapshot(f)


def test_modes_are_recorded(tmp_path):
    root = tmp_path / "modes"
    _write(root, {"run.py": "print(1)\n", "lib.py": ""})
    os.chmod(root / "run.py", 0o755)
    os.chmod(root / "lib.py", 0o640)
    project = snapshot(root)
    assert project.files["run.py"].mode == 0o755
    assert project.files["lib.py"].mode == 0o640
