"""A read-only snapshot of the user's project: which files exist and the bytes of its sources.

The user's tree is only ever read here. Git is asked which files count (tracked plus untracked,
not ignored) through workspace/gitcmd.py; outside git the folder is walked.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from treefix.errors import UsageError
from treefix.workspace.gitcmd import has_no_work_tree, ls_files
from treefix.workspace.gitrepo import GitRepo

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        "env",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".treefix",
        "build",
        "dist",
        ".eggs",
        "site-packages",
    }
)
MAX_FILES = 50_000
MAX_BYTES = 500 << 20


@dataclass
class FileEntry:
    path: str  # posix, relative to the project root
    size: int
    mode: int
    sha256: str = ""


@dataclass
class Project:
    root: Path
    files: dict[str, FileEntry]
    sources: dict[str, bytes]  # every .py file's bytes as they were at snapshot time
    git_dir: Path | None = None
    git_toplevel: Path | None = None
    skipped: list[str] = field(default_factory=list)  # symlinks leaving the tree, unreadable files
    submodules: list[str] = field(default_factory=list)  # folders copied, never edited

    def read_original(self, path: str) -> bytes:
        if path in self.sources:
            return self.sources[path]
        return (self.root / path).read_bytes()

    def current_matches(self, path: str) -> bool:
        """True when the user's file still holds exactly the bytes that were repaired."""
        try:
            return (self.root / path).read_bytes() == self.sources[path]
        except (OSError, KeyError):
            return False


def _git_files(root: Path) -> tuple[list[str], Path, Path, list[str]] | None:
    if has_no_work_tree(root):
        # a bare repository or a .git folder has no working tree: walking it would copy git's
        # objects into a sandbox and write .treefix/ into the repository's internals
        raise UsageError(
            f"{root} is a bare git repository or inside a .git folder: there is no working tree "
            "to repair; point treefix at a checkout (git clone, git worktree add)"
        )
    repo = GitRepo.find(root)
    names = ls_files(root) if repo is not None else None
    if repo is None or names is None:
        return None
    # A submodule is one gitlink entry (a folder) in the superproject's listing. Its files are
    # listed from the submodule itself so the tests that import them run in the sandbox; they are
    # copied but never edited (they belong to another repository).
    submodules: list[str] = []
    for name in list(names):
        if (root / name).is_dir() and not (root / name).is_symlink():
            inner = ls_files(root / name) if (root / name / ".git").exists() else None
            submodules.append(name)
            names.extend(f"{name}/{n}" for n in inner or ())
    return sorted(names), repo.toplevel, repo.git_dir, submodules


def _walk_files(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        rel = Path(dirpath).relative_to(root)
        out.extend((rel / f).as_posix() for f in sorted(filenames))
    return out


def snapshot(path: str | os.PathLike[str]) -> Project:
    root = Path(path).expanduser()
    if not root.exists():
        raise UsageError(f"path does not exist: {root}")
    if not root.is_dir():
        raise UsageError(f"not a directory: {root}")
    root = root.resolve()
    git = _git_files(root)
    names = git[0] if git else _walk_files(root)
    submodules = git[3] if git else []
    files: dict[str, FileEntry] = {}
    sources: dict[str, bytes] = {}
    skipped: list[str] = []
    total = 0
    for name in names:
        parts = name.split("/")
        if parts[0] == ".treefix" or any(p in (".git", "__pycache__") for p in parts):
            continue
        full = root / name
        try:
            st = full.lstat()
        except OSError:
            continue  # deleted but still in the index
        if stat.S_ISLNK(st.st_mode):
            target = full.resolve()
            if not target.is_relative_to(root) or not target.is_file():
                skipped.append(name)
                continue
            st = target.stat()
        elif not stat.S_ISREG(st.st_mode):
            continue
        total += st.st_size
        if len(files) >= MAX_FILES or total > MAX_BYTES:
            raise UsageError(
                f"project too large to copy into a sandbox ({len(files)} files, {total >> 20} MiB): point treefix at a smaller folder"
            )
        entry = FileEntry(name, st.st_size, st.st_mode & 0o777)
        if name.endswith(".py") and not any(name.startswith(m + "/") for m in submodules):
            try:
                data = full.read_bytes()
            except OSError:
                skipped.append(name)
                continue
            sources[name] = data
            entry.sha256 = hashlib.sha256(data).hexdigest()
        files[name] = entry
    return Project(
        root=root,
        files=files,
        sources=sources,
        git_dir=git[2] if git else None,
        git_toplevel=git[1] if git else None,
        skipped=skipped,
        submodules=submodules,
    )


Files = dict[str, tuple[bytes, int]]  # path -> (bytes, mode): a snapshot that can travel


def read_files(project: Project) -> Files:
    """Every file of the snapshot with its mode, e.g. to ship it through Ray's object store."""
    out: Files = {}
    for rel, info in sorted(project.files.items()):
        data = project.sources.get(rel)
        if data is None:
            data = (project.root / rel).read_bytes()
        out[rel] = (data, info.mode)
    return out
