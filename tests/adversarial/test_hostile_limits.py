"""Issue 6, part A, cases 3, 4, 5: fork bombs, memory hogs and disk fillers meet the sandbox's
limits, are classified by the limit they hit (never as a plain test failure or a pass), leave
nothing behind, and the next candidate runs."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import threading
import time

import pytest

from tests.adversarial.conftest import (
    FILE_BYTES,
    HOSTILE,
    HOSTILE_ID,
    TMP_BYTES,
    assert_still_healthy,
    hostile,
)
from treefix.types import Status


class HostLatency:
    """Starts a trivial process on the host every 0.1 s while a run goes on: the worst start-up
    time says whether the machine stayed responsive."""

    def __init__(self):
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            start = time.monotonic()
            subprocess.run(["true"], check=True)
            self.worst = max(self.worst, time.monotonic() - start)
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _all_processes_gone(backends, box, tag: str, within: float = 5.0) -> list[str]:
    """Every process of the run, zombies included, is gone (killed and reaped)."""
    end = time.monotonic() + within
    while True:
        if backends.kind == "local":
            left = backends.leftovers(box, tag)
            group = getattr(box, "_group", None)
            if group is not None:
                left += [
                    f"pid {p} in the worker's cgroup"
                    for p in group.procs_files[0].read_text().split()
                    if not backends.warm_server(int(p))
                ]
        else:
            code, out = box.container.exec_run(["ps", "-eo", "pid,user,stat,args"])
            rows = [ln.split(None, 3) for ln in out.decode().splitlines()[1:]]
            left = [  # zombies included; a warm server alive between runs is not the run's
                " ".join(r) for r in rows if r[1] == "1000" and not backends.warm_args(r[3:])
            ]
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.1)


# -- 3. fork bombs --------------------------------------------------------------------------------
BOMBS = {
    "python": """\
        import os
        import time

        def test_hostile():
            while True:  # every child loops too; only the pids limit bounds them
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.01)
        """,
    "shell": """\
        import subprocess
        import time

        def test_hostile():
            subprocess.run(["sh", "-c", "bomb() { bomb | bomb & }; bomb"])
            time.sleep(60)
        """,
}


@pytest.mark.parametrize("form", sorted(BOMBS))
def test_fork_bomb_is_held_by_the_pids_limit_and_classified_as_such(
    backends, calc, box, host_tag, form
):
    if backends.kind == "local" and getattr(box, "_group", None) is None:
        pytest.skip("no cgroup pids controller here: only the wall clock and the PID namespace")
    runner = backends.runner(calc)
    start = time.monotonic()
    with HostLatency() as latency:
        rep = runner.run(box, hostile(BOMBS[form]), [HOSTILE], timeout=4, per_test_timeout=0)
    took = time.monotonic() - start
    assert rep.status is Status.RESOURCE_LIMIT, (rep.status, rep.detail, rep.output[-1000:])
    assert "pids" in rep.detail
    assert took < 4 + 1 + 6, took
    assert latency.worst < 2.0, f"the host took {latency.worst:.1f} s to start a process"
    assert _all_processes_gone(backends, box, host_tag) == []
    assert_still_healthy(runner, box)


# -- 4. memory hog --------------------------------------------------------------------------------
HOGS = {
    "in-test": """\
        def test_hostile():
            hog = []
            for _ in range(1024):  # 1 GiB, every page touched
                hog.append(bytearray(1 << 20))
        """,
    "child": """\
        import subprocess
        import sys

        HOG = "hog = []\\nwhile True:\\n    hog.append(bytearray(1 << 20))\\n"

        def test_hostile():
            assert subprocess.run([sys.executable, "-c", HOG]).returncode == 0
        """,
}


@pytest.mark.parametrize("where", sorted(HOGS))
def test_memory_hog_is_killed_by_the_memory_limit_and_classified_oom(backends, calc, box, where):
    if backends.kind == "local" and getattr(box, "_group", None) is None:
        pytest.skip("no memory cgroup here: the address-space rlimit raises MemoryError instead")
    runner = backends.runner(calc)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rep = runner.run(box, hostile(HOGS[where]), [HOSTILE], timeout=30, per_test_timeout=0)
    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) << 10
    assert rep.status is Status.OOM, (rep.status, rep.detail, rep.output[-1000:])
    assert rep.status is not Status.FAILED
    hostile_test = rep.tests.get(HOSTILE_ID)
    if hostile_test is not None:  # the run may die before pytest reports anything
        assert hostile_test.outcome != "passed"
    assert grew < 32 << 20, f"treefix itself grew by {grew >> 20} MiB"  # its own memory is flat
    assert_still_healthy(runner, box)


# -- 5. disk filler -------------------------------------------------------------------------------
FILLER = """\
    import errno
    import json
    import os

    TRY = 160 << 20  # per place; each tmpfs is smaller
    CHUNK = b"\\0" * (1 << 20)

    def fill(place):
        written, why = 0, "not stopped"
        try:
            os.makedirs(place, exist_ok=True)
            for i in range(TRY // (8 << 20)):
                with open(os.path.join(place, f"filler-{i}.bin"), "wb") as fh:
                    for _ in range(8):
                        fh.write(CHUNK)
                        fh.flush()
                        written += len(CHUNK)
        except OSError as exc:
            why = errno.errorcode.get(exc.errno, str(exc.errno))
        return written, why

    def big_file(place):
        written = 0
        try:
            with open(os.path.join(place, "one-big-file.bin"), "wb") as fh:
                for _ in range(96):
                    fh.write(CHUNK)
                    fh.flush()
                    written += len(CHUNK)
        except OSError as exc:
            return written, errno.errorcode.get(exc.errno, str(exc.errno))
        return written, "not stopped"

    def test_hostile():
        places = {
            "project": "filler-dir",
            "tmp": "/tmp/filler",
            "var_tmp": "/var/tmp/filler",
            "dev_shm": "/dev/shm/filler",
            "home": os.path.join(os.environ.get("HOME", "/nonexistent"), "filler"),
        }
        report = {name: fill(place) for name, place in places.items()}
        report["results"] = big_file(os.environ["TREEFIX_RESULTS"])
        assert False, json.dumps(report)
    """


def test_disk_filler_is_stopped_by_size_limits_and_the_space_comes_back(backends, calc):
    box = backends.open(calc, label="disk")
    runner = backends.runner(calc)
    rep = runner.run(box, hostile(FILLER), [HOSTILE], timeout=60, per_test_timeout=0)
    assert rep.status is Status.FAILED, (rep.status, rep.detail, rep.output[-1000:])
    message = rep.tests[HOSTILE_ID].message
    report = json.loads(message.split(":", 1)[1].strip())
    print(backends.kind, report)
    for place, (written, why) in report.items():
        if place == "results":
            # the one folder on the host disk: each file is held by the file-size limit
            assert written <= FILE_BYTES and why == "EFBIG", (place, written, why)
            continue
        # a size-capped tmpfs (ENOSPC), or not writable at all (EROFS/EACCES)
        assert written <= TMP_BYTES, (place, written >> 20, why)
        assert why in ("ENOSPC", "EROFS", "EACCES", "EFBIG"), (place, written >> 20, why)
    # the space comes back: the next run starts with empty scratch places and an empty project
    # overlay, the host's scratch copy holds no filler, and the results folder is emptied
    if backends.kind == "local":
        left = [
            os.path.join(d, f)
            for d, _, files in os.walk(os.path.dirname(box.workdir))
            for f in files
            if "filler" in f or f == "one-big-file.bin"
        ]
        assert left == []
    assert_still_healthy(runner, box)
    if backends.kind == "docker":
        out = subprocess.run(
            ["docker", "inspect", "--size", "-f", "{{.SizeRw}}", box.container.id],
            capture_output=True,
            text=True,
            check=True,
        )
        size = int(out.stdout.strip())
        assert size < 16 << 20, f"the container's layer holds {size >> 20} MiB after the run"
    box.close()
    backends.opened.remove(box)
