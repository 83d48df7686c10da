"""Writing a validated fix into the user's tree, only over files that did not change meanwhile."""

from __future__ import annotations

import os
import tempfile

from treefix.errors import TreefixError
from treefix.types import ProgramState
from treefix.workspace.snapshot import Project


class WriteBackRefused(TreefixError):
    pass


def apply_fix(project: Project, state: ProgramState) -> list[str]:
    changed = state.changed()
    stale = [p for p in sorted(changed) if not project.current_matches(p)]
    if stale:
        raise WriteBackRefused(
            f"not applied: {', '.join(stale)} changed since treefix read it; the fix is kept in fix.patch"
        )
    # every target is checked before any is written: a refusal never leaves half a fix applied
    for path in sorted(changed):
        target = project.root / path
        if target.is_symlink() or not target.resolve().is_relative_to(project.root):
            raise WriteBackRefused(f"not applied: {path} is a symlink or leaves the project")
    written = []
    for path, data in sorted(changed.items()):
        target = project.root / path
        mode = target.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.treefix-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        written.append(path)
    return written
