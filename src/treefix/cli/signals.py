"""Ctrl-C, SIGTERM and SIGHUP for the console script.

The first signal stops the run gracefully: the run's Interrupt tells its executor to stop the
sandboxed runs in flight (they live in their own sessions, so the terminal's SIGINT never reaches
them) and start no more, and KeyboardInterrupt unwinds the pipeline, which removes the sandboxes
and writes the partial report. A second signal while that happens stops at once: the executor
removes every sandbox and the process exits 130 without a report. SIGTERM (service managers,
`kill`) and SIGHUP (the terminal closed) get the same treatment as Ctrl-C instead of Python's
default of dying on the spot, which would leave scratch copies and containers behind.
"""

from __future__ import annotations

import os
import signal

from treefix.pipeline.cancel import Interrupt

NAMES: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}
_received: list[int] = []
# the run in progress: a signal handler is process-wide, so it needs to know which run to stop
_watched: list[Interrupt] = []


def received() -> str | None:
    """The name of the first signal that interrupted this run, if any."""
    return NAMES.get(_received[0]) if _received else None


def watch(interrupt: Interrupt | None) -> None:
    """Signals from now on stop this run (None: no run in progress)."""
    _watched[:] = [interrupt] if interrupt is not None else []


def _handler(signum, frame) -> None:
    _received.append(signum)
    target = _watched[0] if _watched else None
    if len(_received) == 1:
        if target is not None:
            target.cancel(NAMES[signum])
        raise KeyboardInterrupt
    # second signal: no more cleanup in order, just nothing left behind
    if target is not None:
        target.abort()
    try:
        os.write(2, b"treefix: interrupted again: stopped at once, sandboxes removed, no report\n")
    except OSError:  # SIGHUP: the terminal may be gone
        pass
    os._exit(130)


def install() -> None:
    for sig in NAMES:
        try:
            signal.signal(sig, _handler)
        except (ValueError, OSError):  # not the main thread, or not supported here
            pass
