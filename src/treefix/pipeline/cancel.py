"""The run's stop switch. Whoever catches signals (the CLI) holds it; the run attaches the
executor it opens. The switch only forwards: stopping runs is the executor's job."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the console script imports this module before anything else: keep it bare
    from treefix.protocols import Executor


class Interrupt:
    def __init__(self) -> None:
        self.reason: str | None = None  # "Ctrl-C", "SIGTERM"...: said in the partial report
        self._executor: Executor | None = None

    def attach(self, executor: Executor) -> None:
        self._executor = executor

    def detach(self) -> None:
        self._executor = None

    def cancel(self, reason: str) -> None:
        """First signal: the runs in flight stop and no new one starts; the caller then raises
        KeyboardInterrupt, which unwinds the run to its partial report. Signal-safe."""
        self.reason = self.reason or reason
        if self._executor is not None:
            self._executor.cancel()

    def abort(self) -> None:
        """Second signal: every sandbox goes at once, without waiting for anything."""
        if self._executor is not None:
            self._executor.abort()
