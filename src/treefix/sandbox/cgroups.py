"""Per-worker control groups for the local sandbox: a pids limit (fork bombs) and a memory limit
(hogs are OOM-killed and counted), where the machine lets us create groups (root on cgroup v1,
or a delegated cgroup v2 subtree). Absent that, the rlimits in local.py are the fallback."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from treefix.sandbox.process import pid_alive

ROOT = Path("/sys/fs/cgroup")


@dataclass
class WorkerGroup:
    procs_files: list[Path]  # cgroup.procs of each group the run joins
    oom_file: Path  # memory.oom_control (v1) or memory.events (v2)
    dirs: list[Path]
    pids_events: Path | None = None  # pids.events: "max N", forks the pids limit refused

    def oom_kills(self) -> int:
        return _counter(self.oom_file, "oom_kill")

    def pids_refusals(self) -> int:
        return _counter(self.pids_events, "max") if self.pids_events else 0

    def prefix(self) -> list[str]:
        """argv prefix that moves the run into the groups before anything else starts."""
        moves = " && ".join(f'echo $$ > "{p}"' for p in self.procs_files)
        return ["sh", "-c", f'{moves} && exec "$@"', "treefix-cgroup"]

    def members(self) -> list[int]:
        try:
            return [int(p) for p in self.procs_files[0].read_text().split()]
        except (OSError, ValueError):
            return []

    def reap(self, keep: Callable[[int], bool], wait: float = 10.0) -> None:
        """Kills every process in the group that `keep` does not claim and waits (at most `wait`
        seconds) until they are gone. A run's PID namespace is torn down by the kernel after its
        outer process was reaped, so a fork bomb's children can still hold the group's pids
        slots (and make the next run look pids-limited) when the run returns."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            left = [pid for pid in self.members() if not keep(pid)]
            if not left:
                return
            _kill_members(left, self)
            time.sleep(0.01)

    def remove(self) -> None:
        for d in self.dirs:
            try:
                d.rmdir()
            except OSError:
                pass  # a straggler still inside; the kernel frees it when it exits


def _kill_members(pids: list[int], group: WorkerGroup) -> None:
    """SIGKILL to each pid still in the group: pinned by a pidfd first where there is one, then
    checked against the group, so a pid freed and reused in between is never signalled."""
    fds: dict[int, int | None] = {}
    for pid in pids:
        try:
            fds[pid] = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fds[pid] = None
    inside = set(group.members())
    try:
        for pid, fd in fds.items():
            if pid not in inside:
                continue
            try:
                if fd is not None:
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
                else:
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # already gone
    finally:
        for fd in fds.values():
            if fd is not None:
                os.close(fd)


def _counter(path: Path, key: str) -> int:
    try:
        m = re.search(rf"^{key} (\d+)$", path.read_text(), re.M)
    except OSError:
        return 0
    return int(m.group(1)) if m else 0


def _v2_base() -> Path | None:
    if not (ROOT / "cgroup.controllers").exists():
        return None
    try:
        own = Path("/proc/self/cgroup").read_text().strip().split("::", 1)[1]
    except (OSError, IndexError):
        return None
    return ROOT / own.lstrip("/")


_swept = False


def sweep(parents: list[Path], prefix: str = "") -> int:
    """Remove empty groups of treefix processes that are gone (a killed run never removes its
    own). Group names start with the owning pid; a group with processes inside stays."""
    removed = 0
    for parent in parents:
        try:
            entries = list(parent.iterdir())
        except OSError:
            continue
        for d in entries:
            head = d.name[len(prefix) :].split("-", 1)[0] if d.name.startswith(prefix) else ""
            if (
                d.is_dir()
                and head.isdigit()
                and int(head) != os.getpid()
                and not pid_alive(int(head))
            ):
                try:
                    d.rmdir()
                    removed += 1
                except OSError:
                    pass
    return removed


def create(name: str, pids: int, memory: int) -> WorkerGroup | None:
    """A pids+memory group for one worker, or None when this machine does not allow it."""
    global _swept
    if os.environ.get("TREEFIX_NO_CGROUPS") == "1":
        return None
    if not _swept:
        _swept = True
        base = _v2_base()
        sweep([ROOT / "pids" / "treefix", ROOT / "memory" / "treefix"])
        if base is not None:
            sweep([base], prefix="treefix-")
    try:
        if (ROOT / "pids" / "cgroup.procs").exists() and (
            ROOT / "memory" / "cgroup.procs"
        ).exists():
            pid_dir, mem_dir = ROOT / "pids" / "treefix" / name, ROOT / "memory" / "treefix" / name
            pid_dir.mkdir(parents=True, exist_ok=True)
            mem_dir.mkdir(parents=True, exist_ok=True)
            (pid_dir / "pids.max").write_text(str(pids))
            (mem_dir / "memory.limit_in_bytes").write_text(str(memory))
            try:  # no swap escape where swap accounting is on
                (mem_dir / "memory.memsw.limit_in_bytes").write_text(str(memory))
            except OSError:
                pass
            return WorkerGroup(
                [pid_dir / "cgroup.procs", mem_dir / "cgroup.procs"],
                mem_dir / "memory.oom_control",
                [pid_dir, mem_dir],
                pid_dir / "pids.events",
            )
        base = _v2_base()
        if base is not None:
            group = base / f"treefix-{name}"
            group.mkdir(exist_ok=True)
            (group / "pids.max").write_text(str(pids))
            (group / "memory.max").write_text(str(memory))
            (group / "memory.swap.max").write_text("0")
            return WorkerGroup(
                [group / "cgroup.procs"], group / "memory.events", [group], group / "pids.events"
            )
    except OSError:
        return None
    return None
