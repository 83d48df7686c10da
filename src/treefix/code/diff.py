"""Unified diffs of a program state against the snapshot, and their size."""

from __future__ import annotations

import difflib
from typing import Protocol


class Changes(Protocol):
    """What a diff needs of a program state (`treefix.types.ProgramState` has it)."""

    def changed(self) -> dict[str, bytes]: ...

    def original(self, path: str) -> bytes: ...

    def read(self, path: str) -> bytes: ...


def unified_diff(state: Changes) -> str:
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


def diff_size(state: Changes) -> int:
    """Changed lines, ignoring a missing final newline: the search's "smallest fix" measure."""
    total = 0
    for path, new in state.changed().items():
        old = state.original(path).decode("utf-8", "replace").splitlines()
        for line in difflib.unified_diff(
            old, new.decode("utf-8", "replace").splitlines(), lineterm="", n=0
        ):
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
                total += 1
    return total
