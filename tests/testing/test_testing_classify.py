"""A test process killed by a signal is one verdict, whether the sandbox saw the signal itself or
a surviving shell's exit status 128+n (which of the two it sees depends on who the kill reached)."""

from __future__ import annotations

import signal

from treefix.testing.runner import classify
from treefix.types import Status

COMMON = dict(timed_out=False, is_pytest=True, tests={}, timeouts=set())


def test_a_kill_seen_as_a_signal_or_as_128_plus_n_reads_the_same():
    for sig in (signal.SIGKILL, signal.SIGSEGV, signal.SIGTERM):
        seen = classify(None, signal=int(sig), **COMMON)
        via_shell = classify(128 + int(sig), signal=None, **COMMON)
        assert seen == via_shell == (Status.CRASHED, f"killed by {sig.name}")
