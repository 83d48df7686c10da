"""Issue 6, part A, cases 1, 2, 6, 7, 8: runaway processes, stdin, output floods, daemons, and
SIGTERM. Each case runs in both sandboxes; after each, the next candidate runs in the same sandbox
against the original files."""

from __future__ import annotations

import time

from tests.adversarial.conftest import (
    HOSTILE,
    HOSTILE_ID,
    OUTPUT_BYTES,
    assert_still_healthy,
    hostile,
)
from treefix.protocols import ExecRequest
from treefix.types import Status


def _run(backends, calc, box, body: str, *, timeout: float = 20, per_test: float = 0):
    runner = backends.runner(calc)
    start = time.monotonic()
    rep = runner.run(box, hostile(body), [HOSTILE], timeout=timeout, per_test_timeout=per_test)
    return runner, rep, time.monotonic() - start


def _gone(backends, box, tag: str, within: float = 5.0) -> list[str]:
    """Processes the run left, after giving the kernel a moment to finish the kills."""
    end = time.monotonic() + within
    while True:
        left = backends.leftovers(box, tag)
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.1)


# -- 1. infinite CPU loop -------------------------------------------------------------------------
def test_infinite_loop_is_killed_at_the_wall_clock_limit_with_its_whole_tree(
    backends, calc, box, host_tag
):
    # no per-test limit: only the run's wall clock stops it; a child and a grandchild spin too
    runner, rep, took = _run(
        backends,
        calc,
        box,
        """\
        import subprocess
        import sys

        SPIN = "while True: pass"

        def test_hostile():
            child = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {SPIN!r}]); {SPIN}"
            subprocess.Popen([sys.executable, "-c", child])
            while True:
                pass
        """,
        timeout=3,
    )
    assert rep.status is Status.TIMEOUT, (rep.status, rep.detail)
    assert rep.exit_code is None
    assert "wall-clock" in rep.detail
    assert 3 <= took < 10, took
    assert _gone(backends, box, host_tag) == []
    assert_still_healthy(runner, box)


# -- 2. reads stdin -------------------------------------------------------------------------------
def test_stdin_is_at_eof_at_once(backends, calc, box):
    start = time.monotonic()
    res = backends.sh(
        box,
        "cat; read line; echo read=$?; "
        "python3 -c 'import sys; print(\"py\", repr(sys.stdin.read()), repr(sys.stdin.buffer.read(1)))'",
        timeout=20,
    )
    assert time.monotonic() - start < 10
    assert not res.timed_out
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "read=1\npy '' b''\n"
    # the same inside a test (pytest's own stdin handling aside, fd 0 itself is at EOF)
    runner, rep, took = _run(
        backends,
        calc,
        box,
        """\
        import os
        import subprocess

        def test_hostile():
            assert os.read(0, 1) == b""
            assert subprocess.run(["cat"], capture_output=True, timeout=30).stdout == b""
        """,
    )
    assert rep.status is Status.PASSED, (rep.status, rep.detail, rep.output[-2000:])
    assert took < 10


# -- 6. a gigabyte of output ----------------------------------------------------------------------
FLOOD = r"""
import os, sys
nasty = b"\x1b[31mred\x1b[0m \xff\xfe invalid \xc3( utf-8 \x00 nul \x1b]0;title\x07 "
line = (nasty + b"y" * 900 + b"\n") * 1024                  # ~1 MB of lines
blob = (nasty + b"z" * 1000) * 1024                         # ~1 MB, not one newline
os.write(1, b"HEAD-OUT " + nasty + b"\n")
os.write(2, b"HEAD-ERR " + nasty)
if os.fork() == 0:                                          # both streams at once
    for _ in range(512):
        os.write(2, blob)
    os.write(2, b" TAIL-ERR")
    os._exit(0)
for _ in range(512):
    os.write(1, line)
os.write(1, b"TAIL-OUT\n")
os.wait()
"""


def test_a_gigabyte_of_output_is_drained_capped_decoded_and_flagged(backends, box):
    start = time.monotonic()
    res = box.execute({}, ExecRequest(["python3", "-c", FLOOD], {}, 120))
    took = time.monotonic() - start
    assert res.exit_code == 0, (res.exit_code, res.timed_out, res.stderr[-500:])
    assert not res.timed_out  # the writers were never blocked on a full pipe
    assert res.truncated
    for text, head, tail in (
        (res.stdout, "HEAD-OUT", "TAIL-OUT\n"),
        (res.stderr, "HEAD-ERR", "TAIL-ERR"),
    ):
        assert text.startswith(head) and text.endswith(tail)
        assert len(text.encode()) < 2 * OUTPUT_BYTES  # capped (replacement chars are 3 bytes)
        assert "bytes not kept" in text
        assert "\ufffd" in text  # invalid UTF-8 decoded with replacement
        assert "\x00" not in text  # NUL bytes replaced too
    assert took < 60, took


def test_huge_output_from_a_test_is_capped_and_the_verdict_still_read(backends, calc, box):
    # through the runner: pytest prints a 4 MB failure message (escapes, invalid UTF-8, NULs) to
    # the run's stdout; the exit marker printed after it still arrives
    runner, rep, _ = _run(
        backends,
        calc,
        box,
        """\
        def test_hostile():
            assert False, "\\x1b[1m\\xff\\x00" + "x" * (4 << 20)
        """,
        timeout=60,
    )
    assert rep.status is Status.FAILED, (rep.status, rep.detail, rep.output[-500:])
    assert rep.exit_code == 1
    assert rep.truncated
    assert len(rep.output) < 3 * OUTPUT_BYTES
    assert rep.tests[HOSTILE_ID].outcome == "failed"
    assert_still_healthy(runner, box)


# -- 7. daemonised grandchild holding the output pipe ---------------------------------------------
def test_daemonised_grandchild_neither_hangs_the_run_nor_survives_it(backends, calc, box, host_tag):
    runner, rep, took = _run(
        backends,
        calc,
        box,
        """\
        import os
        import signal
        import time

        def test_hostile():
            if os.fork() == 0:
                try:
                    os.setsid()
                    if os.fork() == 0:
                        signal.signal(signal.SIGTERM, signal.SIG_IGN)
                        signal.signal(signal.SIGHUP, signal.SIG_IGN)
                        os.write(1, b"daemon up\\n")
                        time.sleep(300)  # holds every inherited fd, the run's stdout included
                finally:
                    os._exit(0)
            os.wait()
        """,
        timeout=30,
    )
    assert rep.status is Status.PASSED, (rep.status, rep.detail)
    assert took < 10, took
    assert _gone(backends, box, host_tag) == []
    assert_still_healthy(runner, box)


# -- 8. ignores SIGTERM ---------------------------------------------------------------------------
def test_a_run_ignoring_sigterm_is_killed(backends, calc, box, host_tag):
    runner, rep, took = _run(
        backends,
        calc,
        box,
        """\
        import os
        import signal

        def test_hostile():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGTERM})
            if os.fork() == 0:  # a child in its own session ignores it too
                os.setsid()
                while True:
                    pass
            while True:
                pass
        """,
        timeout=2,
        per_test=1,  # blocked SIGALRM: the per-test limit cannot fire either
    )
    assert rep.status is Status.TIMEOUT, (rep.status, rep.detail)
    assert took < 2 + 1 + 5, took  # the limit, the grace, start-up
    assert _gone(backends, box, host_tag) == []
    assert_still_healthy(runner, box)
