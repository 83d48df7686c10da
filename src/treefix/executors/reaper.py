"""Removes what a Ray actor leaves on its node when it dies without closing: the driver kills
an actor whose close() outlasts its grace (a slow engine under load), a raylet kills its workers
when it stops. One small detached process per actor (see watch) waits for the actor's pid to go,
then removes the actor's folder and, for Docker sandboxes, the containers of processes that are
gone (docker_engine.sweep)."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

from treefix.sandbox.process import pid_alive


def watch(pid: int, folder: Path, docker: bool) -> None:
    """Starts the reaper of pid and waits only for it to detach: Ray kills a worker's children
    (and its process group) when the worker exits, so the reaper must be nobody's child."""
    argv = [sys.executable, "-m", "treefix.executors.reaper", str(pid), str(folder)]
    starter = subprocess.Popen(
        [*argv, *(["--docker"] if docker else [])],
        cwd="/",  # not inside anything it will remove, nor anything a test counts as busy
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    starter.wait()  # it forks the reaper and exits at once


def _wait_gone(pid: int) -> None:
    try:  # a pidfd becomes readable when the process exits: no polling, no pid reuse
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # gone already, or a kernel without pidfd
        while pid_alive(pid):
            time.sleep(0.5)
        return
    try:
        select.select([fd], [], [])
    finally:
        os.close(fd)


def main(argv: list[str]) -> int:
    pid, folder = int(argv[0]), Path(argv[1])
    if os.fork():  # the starter exits; the reaper, orphaned, belongs to init from now on
        return 0
    _wait_gone(pid)
    shutil.rmtree(folder, ignore_errors=True)
    if "--docker" in argv[2:]:
        try:
            from treefix.sandbox import docker_engine

            docker_engine.sweep(docker_engine.client(timeout=30))
        except Exception:  # no engine left to ask: the next run's own sweep removes them
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
