from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from treefix.sandbox.process import KILL_GRACE, run_process


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONUNBUFFERED": "1"}


def _run(argv: list[str], tmp_path, timeout: float = 30.0, **kw):
    return run_process(argv, cwd=str(tmp_path), env=_env(), timeout=timeout, **kw)


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (orphans may wait to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_dead(pids: list[int], within: float = 5.0) -> list[int]:
    """Signals are delivered asynchronously: give the kernel a moment to finish the kills."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        left = [p for p in pids if _alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def _pids(stdout: str) -> list[int]:
    return [int(w) for w in stdout.split() if w.isdigit()]


def test_exit_code_and_output_come_back(tmp_path):
    res = _run(["sh", "-c", "echo out; echo err >&2; exit 3"], tmp_path)
    assert res.returncode == 3
    assert res.stdout == "out\n"
    assert res.stderr == "err\n"
    assert not res.timed_out and not res.truncated


def test_killed_by_a_signal_is_a_negative_returncode(tmp_path):
    res = _run(["sh", "-c", "kill -KILL $$"], tmp_path)
    assert res.returncode == -signal.SIGKILL
    assert not res.timed_out


def test_stdin_is_at_eof(tmp_path):
    start = time.monotonic()
    res = _run(["cat"], tmp_path, timeout=20)
    assert res.returncode == 0
    assert not res.timed_out
    assert time.monotonic() - start < 15


def test_timeout_kills_the_whole_process_tree(tmp_path):
    # leader sh -> python child -> `sleep 1000` grandchild, all in the run's process group
    child = (
        "import os, subprocess, time\n"
        "p = subprocess.Popen(['sleep', '1000'])\n"
        "print(os.getpid(), p.pid, flush=True)\n"
        "time.sleep(1000)\n"
    )
    start = time.monotonic()
    res = _run(["sh", "-c", 'echo $$; "$0" -c "$1"', sys.executable, child], tmp_path, timeout=2)
    assert time.monotonic() - start < 15
    assert res.timed_out
    pids = _pids(res.stdout)
    assert len(pids) == 3, res.stdout
    assert _wait_dead(pids) == []


def test_a_process_ignoring_sigterm_is_killed_after_the_grace(tmp_path):
    start = time.monotonic()
    res = _run(["sh", "-c", 'trap "" TERM; echo $$; sleep 1000'], tmp_path, timeout=1)
    elapsed = time.monotonic() - start
    assert res.timed_out
    assert res.returncode == -signal.SIGKILL  # SIGTERM was ignored: SIGKILL ended it
    assert elapsed >= 1 + KILL_GRACE * 0.9
    assert elapsed < 15
    assert _wait_dead(_pids(res.stdout)) == []


def test_a_daemonised_grandchild_holding_stdout_does_not_hang_the_call(tmp_path):
    daemon = (
        "import os, sys, time\n"
        "if os.fork():\n"
        "    sys.exit(0)\n"
        "os.setsid()\n"
        "if os.fork():\n"
        "    os._exit(0)\n"
        "print(os.getpid(), flush=True)\n"  # the daemon keeps our stdout open
        "time.sleep(1000)\n"
    )
    start = time.monotonic()
    res = _run([sys.executable, "-c", daemon], tmp_path, timeout=60)
    try:
        assert time.monotonic() - start < 15
        assert res.returncode == 0
        assert not res.timed_out
    finally:
        for pid in _pids(res.stdout):  # it left our session on purpose: end it ourselves
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert len(_pids(res.stdout)) == 1


def test_huge_output_is_drained_and_capped(tmp_path):
    total = 300_000_000
    limit = 1 << 20
    start = time.monotonic()
    res = _run(["sh", "-c", f"yes | head -c {total}; echo done >&2"], tmp_path, output_limit=limit)
    assert time.monotonic() - start < 60
    assert res.returncode == 0  # the writer was never blocked on a full pipe
    assert not res.timed_out
    assert res.truncated
    assert res.stderr == "done\n"
    assert len(res.stdout) < limit + 200
    assert res.stdout.startswith("y\ny\n")
    assert res.stdout.endswith("y\ny\n")
    assert f"[... {total - limit} bytes not kept ...]" in res.stdout


def test_closing_its_pipes_does_not_cut_a_run_short(tmp_path):
    # A command that redirects its own output used to be SIGKILLed 2 s after its pipes closed.
    res = _run(["sh", "-c", "exec >/dev/null 2>&1; sleep 3; exit 7"], tmp_path, timeout=20)
    assert res.returncode == 7
    assert not res.timed_out


def test_closed_pipes_still_time_out(tmp_path):
    start = time.monotonic()
    res = _run(["sh", "-c", "exec >/dev/null 2>&1; sleep 1000"], tmp_path, timeout=1)
    assert time.monotonic() - start < 15
    assert res.timed_out
    assert res.returncode is not None and res.returncode < 0


def test_missing_program_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        _run(["/nonexistent/treefix-no-such-program"], tmp_path)
