"""What "host unchanged" means in the adversarial suite, as one comparable snapshot.

`HostState.capture(repo)` records: every file under the repo (tracked, untracked and ignored, by
content hash and mode, `.git/` excluded), the index bytes, every ref except treefix's own, the stash
list, HEAD, live processes started since a marker, treefix containers, treefix temp dirs and free
disk. `assert_unchanged(before, after)` names what differs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# The environment variable every treefix started by an adversarial test carries, so the processes
# it leaves behind (if any) can be found without looking at the rest of the machine.
TAG_VAR = "TREEFIX_ADVERSARIAL_TAG"
DISK_TOLERANCE = 256 * 1024 * 1024  # other jobs share the disk; a leak we care about is larger


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "core.fsmonitor=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
    )
    return out.stdout if out.returncode == 0 else f"<git {' '.join(args)} failed: {out.returncode}>"


def files_of(root: Path) -> dict[str, str]:
    """Every file and symlink under root except .git/: path -> mode:sha256 (links: their target)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".git" or rel_dir.startswith(".git" + os.sep):
            dirnames[:] = []
            continue
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(full)
            if os.path.islink(full):
                out[rel] = "link:" + os.readlink(full)
            else:
                with open(full, "rb") as fh:
                    out[rel] = f"{st.st_mode & 0o7777:o}:" + hashlib.sha256(fh.read()).hexdigest()
    return out


def tagged_processes(tag: str) -> set[tuple[int, str]]:
    """Live processes whose environment carries the tag (zombies excluded)."""
    found = set()
    needle = f"{TAG_VAR}={tag}".encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if needle not in fh.read():
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found.add((int(pid), cmd))
    return found


def treefix_containers() -> set[str]:
    if shutil.which("docker") is None:
        return set()
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", "label=treefix"], capture_output=True, text=True
    )
    return set(out.stdout.split()) if out.returncode == 0 else set()


def treefix_temp_dirs() -> set[str]:
    base = Path(tempfile.gettempdir())
    return {p.name for p in base.glob("treefix-*")}


@dataclass
class HostState:
    files: dict[str, str]
    index: str
    refs: str
    stash: str
    head: str
    processes: set[tuple[int, str]] = field(default_factory=set)
    containers: set[str] = field(default_factory=set)
    temp_dirs: set[str] = field(default_factory=set)
    free_disk: int = 0

    @classmethod
    def capture(cls, repo: Path, tag: str = "") -> HostState:
        index_path = repo / ".git" / "index"
        git = (repo / ".git").is_dir()
        return cls(
            files=files_of(repo),
            index=hashlib.sha256(index_path.read_bytes()).hexdigest()
            if index_path.exists()
            else "",
            refs="\n".join(
                line
                for line in _git(
                    repo, "for-each-ref", "--format=%(refname) %(objectname)"
                ).splitlines()
                if not line.startswith("refs/treefix/")
            )
            if git
            else "",
            stash=_git(repo, "stash", "list") if git else "",
            head=_git(repo, "symbolic-ref", "-q", "HEAD") + _git(repo, "rev-parse", "HEAD")
            if git
            else "",
            processes=tagged_processes(tag) if tag else set(),
            containers=treefix_containers(),
            temp_dirs=treefix_temp_dirs(),
            free_disk=shutil.disk_usage(repo).free,
        )


def assert_unchanged(
    before: HostState,
    after: HostState,
    *,
    except_files: set[str] = frozenset(),
    check_temp: bool = True,
) -> None:
    """Fail naming every difference; files in except_files may differ (an opted-in write-back)."""
    problems = []
    changed = {
        p
        for p in before.files.keys() | after.files.keys()
        if before.files.get(p) != after.files.get(p)
        and p not in except_files
        and not p.startswith(".treefix" + os.sep)
        and p != ".treefix"
    }
    if changed:
        problems.append(f"files changed: {sorted(changed)[:20]}")
    for name in ("index", "refs", "stash", "head"):
        if getattr(before, name) != getattr(after, name):
            problems.append(
                f"{name} changed: {getattr(before, name)!r} -> {getattr(after, name)!r}"
            )
    if after.processes:
        problems.append(f"processes left: {sorted(after.processes)[:10]}")
    if after.containers - before.containers:
        problems.append(f"containers left: {sorted(after.containers - before.containers)}")
    if check_temp and after.temp_dirs - before.temp_dirs:
        problems.append(f"temp dirs left: {sorted(after.temp_dirs - before.temp_dirs)}")
    if before.free_disk - after.free_disk > DISK_TOLERANCE:
        problems.append(f"free disk fell by {(before.free_disk - after.free_disk) >> 20} MiB")
    assert not problems, "; ".join(problems)
