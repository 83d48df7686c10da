"""N sandboxes, one per worker: a run borrows a free one and gives it back (thread-safe)."""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from typing import TypeVar

from treefix.protocols import Sandbox

T = TypeVar("T")
R = TypeVar("R")


class SandboxPool:
    def __init__(self, sandboxes: Sequence[Sandbox]):
        self.sandboxes = list(sandboxes)
        self._free: queue.SimpleQueue[Sandbox] = queue.SimpleQueue()
        for sb in self.sandboxes:
            self._free.put(sb)

    @property
    def size(self) -> int:
        return len(self.sandboxes)

    def borrow(self, fn: Callable[[Sandbox, T], R], item: T) -> R:
        sb = self._free.get()
        try:
            return fn(sb, item)
        finally:
            self._free.put(sb)

    def cancel(self) -> None:
        for sb in self.sandboxes:
            sb.cancel()

    def close(self) -> None:
        """Remove every sandbox; best effort for all of them even when one fails."""
        errors = []
        for sb in self.sandboxes:
            try:
                sb.close()
            except Exception as exc:  # the others are still removed
                errors.append(exc)
        if errors:
            raise errors[0]
