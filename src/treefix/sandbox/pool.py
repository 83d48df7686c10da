"""N workers, each owning one sandbox; results come back in submission order (determinism)."""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
        self._executor = ThreadPoolExecutor(
            max_workers=len(self.sandboxes), thread_name_prefix="treefix-worker"
        )

    @property
    def size(self) -> int:
        return len(self.sandboxes)

    def _with_sandbox(self, fn: Callable[[Sandbox, T], R], item: T) -> R:
        sb = self._free.get()
        try:
            return fn(sb, item)
        finally:
            self._free.put(sb)

    def map(self, fn: Callable[[Sandbox, T], R], items: Sequence[T]) -> list[R]:
        if len(items) == 1:
            return [self._with_sandbox(fn, items[0])]
        futures = [self._executor.submit(self._with_sandbox, fn, item) for item in items]
        return [f.result() for f in futures]

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        for sb in self.sandboxes:
            sb.close()
