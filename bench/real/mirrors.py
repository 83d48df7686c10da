"""Read fetched public repositories (bare git dirs under --mirrors, `owner+name/repo`)."""

from __future__ import annotations

import io
import subprocess
import tarfile
import zipfile
from functools import lru_cache
from pathlib import Path


def git_dir(mirrors: Path, repo: str) -> Path:
    path = mirrors / repo.replace("/", "+") / "repo"
    if not path.is_dir():
        raise FileNotFoundError(f"{repo}: no mirror at {path} (fetch github:{repo} first)")
    return path


def git(gdir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(gdir), *args], check=True, capture_output=True
    ).stdout


def show(mirrors: Path, repo: str, commit: str, path: str) -> bytes:
    return git(git_dir(mirrors, repo), "show", f"{commit}:{path}")


def has_commit(mirrors: Path, repo: str, commit: str) -> bool:
    gdir = git_dir(mirrors, repo)
    done = subprocess.run(
        ["git", "--git-dir", str(gdir), "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True,
    )
    return done.returncode == 0


def export_tree(gdir: Path, commit: str, dest: Path) -> None:
    """The commit's files into dest (git archive; no .git, no history)."""
    data = git(gdir, "archive", "--format=tar", commit)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")


@lru_cache(maxsize=4)
def _zip(mirrors: Path, repo: str, commit: str, archive: str) -> zipfile.ZipFile:
    """Opened once: reading the central directory of a dataset zip is the slow part."""
    return zipfile.ZipFile(io.BytesIO(show(mirrors, repo, commit, archive)))


def zip_member(mirrors: Path, repo: str, commit: str, archive: str, member: str) -> str:
    return _zip(mirrors, repo, commit, archive).read(member).decode("utf-8", errors="replace")


def zip_names(mirrors: Path, repo: str, commit: str, archive: str) -> list[str]:
    return _zip(mirrors, repo, commit, archive).namelist()
