"""--apply: writing a validated fix into the working tree, all-or-nothing and crash-safe.

Every target is checked first (still byte-identical to the snapshot, a regular file inside the
project, not in .git or a submodule). The new contents are written and fsynced to temp files under
.treefix/apply/<id>/, then a journal is committed (written to a temp name and renamed: that rename
is the commit point), then each temp file is renamed over its target. A crash before the commit
point leaves the tree as it was and the leftovers are discarded; a crash after it is rolled
forward by the next treefix run on the project (`recover_pending`), so the tree ends as the
snapshot or the snapshot plus the whole fix.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path, PurePosixPath

from treefix.errors import WriteBackRefused
from treefix.types import ProgramState
from treefix.workspace.snapshot import Project

APPLY_DIR = ".treefix/apply"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- which paths a fix may touch ----------------------------------------------------------------


def check_paths(project: Project, paths: list[str], *, new: bool = False) -> None:
    """Reject fixes touching .git, symlinks, paths outside the project, submodules or nested repos.
    new: files the fix creates (issue mode's kept test), which must not exist yet."""
    for path in paths:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise WriteBackRefused(f"not written: {path} lies outside the project")
        if ".git" in pure.parts or ".treefix" in pure.parts[:1]:
            raise WriteBackRefused(f"not written: {path} is inside .git or .treefix")
        target = project.root / path
        # issue mode's snapshot holds the reproduction test; the user's disk must not
        if new and os.path.lexists(target):
            raise WriteBackRefused(f"not written: {path} already exists")
        if not new and path not in project.sources:
            raise WriteBackRefused(f"not written: {path} was not part of the snapshot")
        if target.is_symlink():
            raise WriteBackRefused(f"not written: {path} is a symlink")
        parent = project.root
        for part in pure.parts[:-1]:
            parent = parent / part
            if parent.is_symlink():
                raise WriteBackRefused(f"not written: {path} goes through a symlinked folder")
            if (parent / ".git").exists():
                raise WriteBackRefused(
                    f"not written: {path} is inside a submodule or nested repository"
                )
        if not target.resolve().is_relative_to(project.root):
            raise WriteBackRefused(f"not written: {path} leaves the project")


def check_unchanged(project: Project, paths: list[str]) -> None:
    stale = [p for p in paths if not project.current_matches(p)]
    if stale:
        raise WriteBackRefused(
            f"not applied: {', '.join(stale)} changed since treefix read it; the fix is kept in fix.patch"
        )


# -- the apply itself ------------------------------------------------------------------------------------


def apply_fix(project: Project, state: ProgramState, *, _pause=None) -> list[str]:
    """Write the fix into the working tree, all files or none. `_pause(step)` is a test hook."""
    recover_pending(project.root)
    changed = state.changed()
    paths = sorted(changed)
    check_paths(project, paths)
    check_unchanged(project, paths)
    pause = _pause or (lambda step: None)
    stage = project.root / APPLY_DIR / (secrets.token_hex(6))
    stage.mkdir(parents=True)
    entries = []
    try:
        for i, path in enumerate(paths):
            target = project.root / path
            tmp = stage / str(i)
            if os.stat(stage).st_dev != os.stat(target.parent).st_dev:
                tmp = target.parent / f".{target.name}.treefix-{stage.name}"
            mode = target.stat().st_mode & 0o7777
            with open(tmp, "xb") as fh:
                fh.write(changed[path])
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            entries.append(
                {
                    "path": path,
                    "tmp": os.path.relpath(tmp, project.root),
                    "old": _sha(project.sources[path]),
                    "new": _sha(changed[path]),
                }
            )
            pause("staged")
        check_unchanged(project, paths)  # once more, right before the commit point
        journal = stage / "journal.json"
        pending = stage / "journal.json.tmp"
        with open(pending, "w") as fh:
            json.dump({"entries": entries}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        pause("journal")
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for e in entries:
            Path(project.root / e["tmp"]).unlink(missing_ok=True)
        _prune_empty(project.root)
        raise
    os.replace(pending, journal)  # the commit point
    _fsync_dir(stage)
    pause("committed")
    _roll_forward(project.root, stage, entries, pause)
    return paths


def _roll_forward(root: Path, stage: Path, entries: list[dict], pause=None) -> None:
    # The renames run back to back (microseconds for a typical fix) and the folders are synced
    # afterwards, so a kill almost never lands between two renames; if it does, the journal is
    # still there and the next run completes the set.
    moved = []
    for e in entries:
        tmp = root / e["tmp"]
        if tmp.exists():
            os.replace(tmp, root / e["path"])
            moved.append((root / e["path"]).parent)
            if pause:  # tests only: lets a crash land between two renames
                pause("renamed")
    for folder in dict.fromkeys(moved):
        _fsync_dir(folder)
    shutil.rmtree(stage, ignore_errors=True)
    _prune_empty(root)


def _prune_empty(root: Path) -> None:
    for d in (root / APPLY_DIR, root / ".treefix"):
        try:
            d.rmdir()  # only when empty
        except OSError:
            return


def recover_pending(path: str | os.PathLike[str]) -> list[str]:
    """Finish (or discard) an --apply that was interrupted. Returns the paths completed."""
    root = Path(path)
    base = root / APPLY_DIR
    if not base.is_dir():
        return []
    done: list[str] = []
    for stage in sorted(base.iterdir()):
        journal = stage / "journal.json"
        if not journal.exists():  # crashed before the commit point: nothing was written
            shutil.rmtree(stage, ignore_errors=True)
            continue
        entries = json.loads(journal.read_text())["entries"]
        for e in entries:
            tmp, target = root / e["tmp"], root / e["path"]
            if not tmp.exists():
                continue
            try:
                current = _sha(target.read_bytes())
            except OSError:
                current = None
            if current == e["new"]:
                tmp.unlink()
            elif current != e["old"]:
                raise WriteBackRefused(
                    f"an interrupted --apply could not be finished: {e['path']} changed meanwhile; "
                    f"the fixed content is in {tmp} (remove {stage} when done)"
                )
        _roll_forward(root, stage, entries)
        done.extend(e["path"] for e in entries)
    _prune_empty(root)
    return done
