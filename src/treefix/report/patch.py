"""Unified diffs of a program state against the snapshot."""

from __future__ import annotations

import difflib

from treefix.types import ProgramState


def unified_diff(state: ProgramState) -> str:
    chunks = []
    for path in sorted(state.changed()):
        old = state.original(path).decode("utf-8", "surrogateescape").splitlines(keepends=True)
        new = state.read(path).decode("utf-8", "surrogateescape").splitlines(keepends=True)
        for lines in (old, new):
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n\\ No newline at end of file\n"
        chunks.append("".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}")))
    return "".join(chunks)


def lines_changed(patch: str) -> int:
    return sum(
        1
        for line in patch.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++ ", "--- "))
    )
