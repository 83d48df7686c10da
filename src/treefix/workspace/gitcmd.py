"""Running git: every git process treefix starts goes through GitPython's command wrapper here,
with hooks and fsmonitor disabled, no optional locks, no prompt and a timeout.

Where the repository is, git answers (`rev-parse`): GitPython's parent search ignores
GIT_CEILING_DIRECTORIES and safe.directory. GitPython (about 150 ms to import) is imported inside
functions only, so `--help` stays instant. The repository object is in workspace/gitrepo.py.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from treefix.errors import GitError

if TYPE_CHECKING:
    import git

SAFE_CONFIG = ["core.fsmonitor=false", "core.hooksPath=/dev/null"]  # `-c` on every git process
SAFE_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
TIMEOUT = 120  # seconds per git command


def wrapper(cwd: Path) -> git.Git | None:
    """GitPython's command wrapper for cwd with the safe options; None when git is missing."""
    if not os.access(cwd, os.X_OK):
        return None  # GitPython would run git in the process's own folder instead
    try:
        import git
    except ImportError:  # GitPython found no git executable
        return None
    cmd = git.Git(Path(cwd))  # a Path: GitPython would expand "$VAR" and "~" in a str
    make_safe(cmd)
    return cmd


def make_safe(cmd: git.Git) -> None:
    cmd.set_persistent_git_options(c=SAFE_CONFIG)
    cmd.update_environment(**SAFE_ENV)


def call(
    where: git.Git | Path,
    args: list[str],
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    timeout: float | None = TIMEOUT,
) -> tuple[int, bytes, str]:
    """(exit status, stdout as git wrote it, stderr) of `git <args>`; -1 when git cannot run.
    timeout None: no limit (a clone takes as long as the network does)."""
    import git

    cmd = wrapper(where) if isinstance(where, Path) else where
    if cmd is None:
        return -1, b"", "no git executable found"
    with tempfile.TemporaryFile() if input is not None else nullcontext() as stdin:
        if stdin is not None and input is not None:  # GitPython feeds stdin from a file
            stdin.write(input)
            stdin.seek(0)
        try:
            return getattr(cmd, args[0].replace("-", "_"))(
                *args[1:],
                env=env,
                istream=stdin,
                with_extended_output=True,
                with_exceptions=False,
                stdout_as_string=False,
                strip_newline_in_stdout=False,
                kill_after_timeout=timeout,
            )
        except (OSError, git.GitCommandNotFound) as exc:
            return -1, b"", str(exc)


def clone(url: str, dest: Path, ref: str | None) -> None:
    """`git clone URL DEST`, then DEST checked out at ref; GitError with git's last line when
    either fails (DEST is then removed, so a later try starts afresh)."""
    if ref is not None and ref.startswith("-"):
        raise GitError(f"{ref!r} is not a ref")  # it would reach git as an option
    dest.parent.mkdir(parents=True, exist_ok=True)
    steps = [(dest.parent, ["clone", "--", url, str(dest)])]
    if ref:
        steps.append((dest, ["checkout", ref]))
    for cwd, args in steps:
        status, _, err = call(cwd, args, timeout=None)
        if status != 0:
            shutil.rmtree(dest, ignore_errors=True)
            raise GitError(" ".join(err.strip().splitlines()[-1:]) or f"git {args[0]} failed")


def one_path(cwd: Path, flag: str) -> str | None:
    """One path from `git rev-parse`: asked alone and only its final newline cut, because a
    folder name may itself hold a newline (two paths on two lines would be ambiguous)."""
    status, out, _ = call(cwd, ["rev-parse", flag])
    text = out.decode("utf-8", "surrogateescape")
    # not a repository, a bare one, or inside .git
    return text[:-1] if status == 0 and text.endswith("\n") else None


def has_no_work_tree(path: Path) -> bool:
    """True for a bare repository or a path inside a .git folder."""
    status, out, _ = call(path, ["rev-parse", "--is-bare-repository", "--is-inside-git-dir"])
    return status == 0 and "true" in out.decode().split()


def ls_files(folder: Path) -> list[str] | None:
    """Tracked plus untracked, not-ignored files under folder (sorted), or None outside git."""
    args = ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."]
    status, out, _ = call(folder, args)
    if status != 0:
        return None
    return sorted({n for n in out.decode("utf-8", "surrogateescape").split("\0") if n})


def merge_file(base_old: bytes, fixed: bytes, head: bytes) -> bytes | None:
    """head + (base_old -> fixed), by git merge-file; None on conflict."""
    with tempfile.TemporaryDirectory(prefix="treefix-merge-") as d:
        names = []
        for n, data in (("fixed", fixed), ("old", base_old), ("head", head)):
            Path(d, n).write_bytes(data)
            names.append(str(Path(d, n)))
        status, out, err = call(Path(d), ["merge-file", "-p", "-q", *names])
    if status < 0:
        raise GitError(f"git merge-file failed: {err}")
    return out if status == 0 else None
