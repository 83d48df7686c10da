"""N workers, each owning one sandbox; results come back in submission order (determinism)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from treefix.protocols import Sandbox
from treefix.sandbox.process import stopping

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
        with _LIVE_LOCK:
            _LIVE.add(self)

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
        if stopping():
            # interrupted: a container's `docker exec` is not in our process groups, so
            # kill_all() cannot stop it; removing the container ends it, instead of waiting
            # up to the test timeout for the worker thread
            for sb in self.sandboxes:
                if sb.kind == "docker":
                    sb.close()
        self._executor.shutdown(wait=True, cancel_futures=True)
        for sb in self.sandboxes:
            sb.close()
        with _LIVE_LOCK:
            _LIVE.discard(self)


_LIVE: set[SandboxPool] = set()  # pools not closed yet, for a second Ctrl-C
_LIVE_LOCK = threading.RLock()


def close_all_now() -> None:
    """A second Ctrl-C: remove every sandbox at once, without waiting for worker threads."""
    with _LIVE_LOCK:
        pools = list(_LIVE)
    for pool in pools:
        for sb in pool.sandboxes:
            try:
                sb.close()
            except Exception:  # best effort: the process is about to exit
                pass
