"""The first Executor: one thread per sandbox of a local pool; results in submission order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from treefix.protocols import Evaluation, Sandbox, SandboxPool
from treefix.testing.runner import TestRunner
from treefix.types import TestReport

T = TypeVar("T")
R = TypeVar("R")


def _figures(
    sandboxes: Sequence[Sandbox], ask: Callable[[Sandbox], float | None]
) -> list[float | None]:
    """One figure per sandbox (None where it cannot tell); an engine gone at the end costs the
    figure, not the run."""
    out: list[float | None] = []
    for sb in sandboxes:
        try:
            out.append(ask(sb))
        except Exception:
            out.append(None)
    return out


def _largest_peak(sandboxes: Sequence[Sandbox]) -> float | None:
    peaks = [p for p in _figures(sandboxes, lambda sb: sb.peak_memory_mb()) if p is not None]
    return max(peaks) if peaks else None


class ThreadExecutor:
    def __init__(self, pool: SandboxPool, runner: TestRunner | None = None):
        self.pool = pool
        self.runner = runner  # what run() runs; map() alone needs none
        self.workers = pool.size
        first = pool.sandboxes[0] if pool.sandboxes else None
        self.kind = first.kind if first else ""
        self.isolation = first.isolation if first else ""
        self.nodes: list[str] = []  # this machine's threads, no cluster
        self.sandbox_peak_mb: float | None = None
        self._threads = ThreadPoolExecutor(
            max_workers=max(1, pool.size), thread_name_prefix="treefix-worker"
        )
        self._cancelled = threading.Event()
        self._closed = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def map(self, fn: Callable[[Sandbox, T], R], items: Sequence[T]) -> list[R]:
        """fn(sandbox, item) for every item, each with a sandbox of its own, results in order."""
        if self.cancelled:
            # cancelled between two batches: no new run starts, the run unwinds as interrupted
            raise KeyboardInterrupt
        if len(items) == 1:  # the baseline: no thread hop
            return [self.pool.borrow(fn, items[0])]
        futures = [self._threads.submit(self.pool.borrow, fn, item) for item in items]
        return [f.result() for f in futures]

    def run(self, batch: Sequence[Evaluation]) -> list[TestReport]:
        runner = self.runner
        if runner is None:
            raise TypeError("ThreadExecutor.run needs the TestRunner it was built without")

        def one(sb: Sandbox, ev: Evaluation) -> TestReport:
            return runner.evaluate(sb, ev)

        return self.map(one, batch)

    def sandbox_cpu(self) -> float | None:
        cpus = _figures(self.pool.sandboxes, lambda sb: sb.cpu_seconds())
        return None if None in cpus else sum(c for c in cpus if c is not None)

    def cancel(self) -> None:
        """Signal-safe: flags and kills only (no lock a signal could find held)."""
        self._cancelled.set()
        self.pool.cancel()

    def abort(self) -> None:
        """A second signal: remove every sandbox at once, without waiting for the workers."""
        self.cancel()
        for sb in self.pool.sandboxes:
            try:
                sb.close()
            except Exception:  # best effort: the process is about to exit
                pass

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.cancelled:
            self.pool.cancel()  # runs a worker started while the interrupt unwound
        self._threads.shutdown(wait=True, cancel_futures=True)
        if not self.cancelled:  # read before the sandboxes go (an interrupt does not wait)
            self.sandbox_peak_mb = _largest_peak(self.pool.sandboxes)
        self.pool.close()

    def __enter__(self) -> ThreadExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
