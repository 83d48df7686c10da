"""Run one command in its own session with a wall-clock limit; kill the whole tree; cap output."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

from treefix.protocols import ExecResult
from treefix.sandbox.capture import CappedBuffer


def pid_alive(pid: int) -> bool:
    """Whether a process exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


KILL_GRACE = 1.0  # seconds between SIGTERM and SIGKILL
DRAIN_AFTER_EXIT = 0.5  # a grandchild holding the pipe does not keep us waiting longer


class ProcessGroups:
    """The runs in flight of one owner (a sandbox), so they can be stopped together: their
    sessions never get the terminal's SIGINT. After cancel(), a run started later is killed at
    once (a worker thread may start one while the interrupt unwinds)."""

    def __init__(self) -> None:
        self._active: set[int] = set()
        # re-entrant: cancel() runs inside a signal handler, which may interrupt the main thread
        # while it holds the lock (a plain Lock would deadlock there)
        self._lock = threading.RLock()
        self._stopped = threading.Event()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def cancel(self) -> None:
        with self._lock:
            self._stopped.set()
            groups = list(self._active)
        for pgid in groups:
            _kill_group(pgid, signal.SIGKILL)

    def add(self, pgid: int) -> None:
        with self._lock:
            self._active.add(pgid)
            if self._stopped.is_set():  # started after the cancel: it never gets to run
                _kill_group(pgid, signal.SIGKILL)

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._active.discard(pgid)


@dataclass
class ProcessResult:
    returncode: int | None
    stdout: str
    stderr: str
    duration: float
    timed_out: bool
    truncated: bool
    oom: bool = False  # told by a warm server that reads its container's cgroup counters
    pids_limited: bool = False
    artifacts: dict[str, str] | None = None  # the results folder, when a warm server read it


def exec_result(
    res: ProcessResult,
    oom: bool,
    pids_limited: bool,
    artifacts: dict[str, str],
    warm: bool = False,
) -> ExecResult:
    """What a sandbox hands back for one run: a run killed by a signal or the clock has no exit
    code. A process we waited on reports a signal as a negative return code; a warm server
    reports its killed child as `sh -c` would, 128 + n (warm)."""
    rc = res.returncode
    sig = -rc if rc is not None and rc < 0 else None
    if (
        warm
        and not (res.timed_out or oom)
        and rc is not None
        and rc - 128 in signal.valid_signals()
    ):
        sig = rc - 128
    return ExecResult(
        exit_code=None if res.timed_out or sig else res.returncode,
        stdout=res.stdout,
        stderr=res.stderr,
        duration=res.duration,
        timed_out=res.timed_out,
        signal=sig,
        truncated=res.truncated,
        oom=oom,
        pids_limited=pids_limited,
        artifacts=artifacts,
    )


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_process(
    argv: list[str],
    *,
    cwd: str,
    env: dict[str, str],
    timeout: float,
    output_limit: int = 1 << 20,
    groups: ProcessGroups | None = None,
) -> ProcessResult:
    """Runs argv with stdin at EOF, in a new session; on timeout the process group gets
    SIGTERM, then SIGKILL after a grace period. Output is drained to the end but capped.
    `groups` is the owner's set of runs in flight, for cancelling them from outside."""
    groups = groups if groups is not None else ProcessGroups()
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
    )
    groups.add(proc.pid)
    stdout, stderr = proc.stdout, proc.stderr
    assert stdout is not None and stderr is not None  # both are pipes (PIPE above)
    bufs = {
        stdout.fileno(): CappedBuffer(output_limit),
        stderr.fileno(): CappedBuffer(output_limit),
    }
    sel = selectors.DefaultSelector()
    for f in (stdout, stderr):
        os.set_blocking(f.fileno(), False)
        sel.register(f, selectors.EVENT_READ)
    deadline = start + timeout
    timed_out = False
    term_sent_at: float | None = None
    exited_at: float | None = None
    try:
        # Runs until the leader exited and its pipes are drained, not merely until the pipes
        # close: a command that closes or redirects its stdout/stderr still gets its full time.
        while sel.get_map() or proc.poll() is None:
            now = time.monotonic()
            if proc.poll() is not None and exited_at is None:
                exited_at = now
                # The leader is gone: anything left in its group is a straggler holding our pipes.
                _kill_group(proc.pid, signal.SIGKILL)
            if exited_at is not None and now - exited_at > DRAIN_AFTER_EXIT:
                break
            if not timed_out and now >= deadline:
                timed_out = True
                term_sent_at = now
                _kill_group(proc.pid, signal.SIGTERM)
            if term_sent_at is not None and now - term_sent_at >= KILL_GRACE:
                _kill_group(proc.pid, signal.SIGKILL)
                term_sent_at = None
            wait = 0.05 if (timed_out or exited_at) else max(0.0, min(0.25, deadline - now))
            if not sel.get_map():
                try:
                    proc.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    pass
                continue
            for key, _ in sel.select(wait):
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if chunk:
                    bufs[key.fd].feed(chunk)
                else:
                    sel.unregister(key.fileobj)
        try:
            returncode = proc.wait(timeout=KILL_GRACE + 1)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGKILL)
            returncode = proc.wait()
    finally:
        _kill_group(proc.pid, signal.SIGKILL)
        groups.discard(proc.pid)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sel.close()
        stdout.close()
        stderr.close()
    out, err = bufs[next(iter(bufs))], list(bufs.values())[1]
    return ProcessResult(
        returncode=returncode,
        stdout=out.text(),
        stderr=err.text(),
        duration=time.monotonic() - start,
        timed_out=timed_out,
        truncated=out.truncated or err.truncated,
    )
