"""A real 2-node Ray cluster on 127.0.0.1, started with `ray start` inside the network namespace
the suite runs in (see tests/batch/test_ray_cluster.py); stopped and removed afterwards."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
PORT = 6391


@dataclass
class Cluster:
    address: str
    tmp: Path  # TMPDIR of every node's workers: where task temp folders appear
    worker: subprocess.Popen  # `ray start --block` of the worker node (its own process group)
    worker_id: str = ""

    def kill_worker(self) -> None:
        """The worker node dies at once: raylet, its workers, everything in its process group."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()


def env(tmp: Path) -> dict[str, str]:
    e = dict(os.environ)
    e.update(
        TMPDIR=str(tmp),
        RAY_USAGE_STATS_ENABLED="0",
        # a dead node is noticed in seconds, not the default half minute
        RAY_health_check_period_ms="1000",
        RAY_health_check_failure_threshold="3",
        RAY_health_check_timeout_ms="1000",
        RAY_health_check_initial_delay_ms="1000",
    )
    e.pop("RAY_ADDRESS", None)
    return e


def start() -> Cluster:
    tmp = Path(tempfile.mkdtemp(prefix="raytest-"))
    (tmp / "tasks").mkdir()
    address = f"127.0.0.1:{PORT}"
    common = ["--num-cpus", "1", "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    ray = str(BIN / "ray")
    e = env(tmp / "tasks")
    subprocess.run(
        [
            ray,
            "start",
            "--head",
            "--port",
            str(PORT),
            "--temp-dir",
            str(tmp / "ray"),
            "--include-dashboard=false",
            *common,
        ],
        check=True,
        capture_output=True,
        env=e,
    )
    cluster = Cluster(address, tmp / "tasks", _worker(address, e))
    try:
        cluster.worker_id = _wait_for_nodes(address, e)
    except BaseException:
        stop(cluster)
        raise
    return cluster


def _worker(address: str, e: dict[str, str]) -> subprocess.Popen:
    """`ray start --block` of a worker node, in its own process group (killed as one)."""
    return subprocess.Popen(
        [
            str(BIN / "ray"),
            "start",
            "--block",
            "--address",
            address,
            "--resources",
            '{"worker": 1}',
            "--num-cpus",
            "1",
            "--node-ip-address",
            "127.0.0.1",
            "--disable-usage-stats",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=e,
        start_new_session=True,
    )


def _wait_for_nodes(address: str, e: dict[str, str]) -> str:
    """Waits until head and worker are alive; the worker's node id."""
    probe = (
        f"import json, ray; ray.init(address={address!r}, log_to_driver=False);"
        "print(json.dumps([(n['NodeID'], 'worker' in n['Resources']) for n in ray.nodes() if n['Alive']]))"
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=e)
        nodes = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else []
        if len(nodes) == 2:
            return next(i for i, w in nodes if w)
        time.sleep(2)
    raise RuntimeError("the 2-node Ray cluster did not come up")


def stop(cluster: Cluster) -> None:
    if cluster.worker.poll() is None:
        cluster.kill_worker()
    subprocess.run([str(BIN / "ray"), "stop", "--force"], capture_output=True, env=env(cluster.tmp))
    shutil.rmtree(cluster.tmp.parent, ignore_errors=True)
