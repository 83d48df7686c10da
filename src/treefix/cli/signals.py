"""Ctrl-C, SIGTERM and SIGHUP for the console script.

The first signal stops the run gracefully: the sandboxed runs in flight are killed at once (they
live in their own sessions, so the terminal's SIGINT never reaches them), no new run starts, and
KeyboardInterrupt unwinds the pipeline, which removes the sandboxes and writes the partial
report. A second signal while that happens stops at once: every process group is killed, every
sandbox removed, and the process exits 130 without a report. SIGTERM (service managers, `kill`)
and SIGHUP (the terminal closed) get the same treatment as Ctrl-C instead of Python's default of
dying on the spot, which would leave scratch copies and containers behind.
"""

from __future__ import annotations

import os
import signal

NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}
_received: list[int] = []


def received() -> str | None:
    """The name of the first signal that interrupted this run, if any."""
    return NAMES.get(_received[0]) if _received else None


def _handler(signum, frame) -> None:
    from treefix.sandbox.process import kill_all

    _received.append(signum)
    kill_all(stop=True)
    if len(_received) == 1:
        raise KeyboardInterrupt
    # second signal: no more cleanup in order, just nothing left behind
    from treefix.sandbox.pool import close_all_now

    close_all_now()
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

