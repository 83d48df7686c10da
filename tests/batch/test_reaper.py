"""The reaper removes a Ray actor's folder when the actor dies without closing (killed by the
driver after its grace, or with its node), and not before. Real processes, no Ray needed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from treefix.executors import reaper


def _gone(path: Path, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not path.exists():
            return True
        time.sleep(0.1)
    return not path.exists()


def _actor_with_folder(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    folder = tmp_path / "treefix-actor-x"
    (folder / "project" / "pkg").mkdir(parents=True)
    (folder / "project" / "pkg" / "mod.py").write_text("x = 1\n")
    actor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    return actor, folder


def test_the_folder_of_an_actor_killed_before_its_close_is_removed(tmp_path):
    actor, folder = _actor_with_folder(tmp_path)
    reaper.watch(actor.pid, folder, docker=False)
    try:
        time.sleep(1.0)
        assert folder.exists()  # not while the actor lives
        actor.send_signal(signal.SIGKILL)
        actor.wait()
        assert _gone(folder, 15), "the reaper left the killed actor's folder"
    finally:
        actor.kill()


def test_the_reaper_outlives_a_kill_of_the_actors_process_group_and_children(tmp_path):
    """A node dies by SIGKILL to its whole process group, and Ray kills a worker's children:
    the reaper is in its own session and nobody's child."""
    folder = tmp_path / "treefix-actor-y"
    folder.mkdir()
    code = (
        "import os, sys, time; from pathlib import Path; from treefix.executors import reaper; "
        f"reaper.watch(os.getpid(), Path({str(folder)!r}), docker=False); "
        "print('watching', flush=True); time.sleep(600)"
    )
    actor = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert actor.stdout is not None and actor.stdout.readline().strip() == "watching"
        children = Path(f"/proc/{actor.pid}/task/{actor.pid}/children").read_text().split()
        assert children == []  # the reaper detached
        os.killpg(actor.pid, signal.SIGKILL)
        actor.wait()
        assert _gone(folder, 15), "the reaper died with the actor's process group"
    finally:
        actor.kill()
