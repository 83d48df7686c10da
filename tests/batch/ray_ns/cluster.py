"""A real Ray cluster on 127.0.0.1, started with `ray start` inside a network namespace (the
tests' and bench/ray_batch.py's; see tests/batch/test_ray_cluster.py): a head and worker nodes of
1 CPU each, each tagged with a custom resource of its name so its node id can be found; stopped
and removed afterwards.

Settings for a loaded 2-core machine shared with other test runs: Ray's defaults and the short
health checks this file had before declared a busy raylet dead (and that raylet then exits). A
node counts as dead here after 20 failed checks in a row, each allowed 10 s: a raylet starved of
CPU for seconds survives, while a killed one (its port refuses at once) is noticed in about 20 s.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
PORT = 6391
SETTINGS = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_health_check_initial_delay_ms": "5000",
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "10000",
    "RAY_health_check_failure_threshold": "20",
    # a worker process importing Ray can take tens of seconds when the cores are busy
    "RAY_worker_register_timeout_seconds": "300",
    # no memory-pressure kills: the machine's memory is shared with other engineers' runs
    "RAY_memory_monitor_refresh_ms": "0",
}


@dataclass
class Node:
    name: str  # its custom resource
    proc: subprocess.Popen  # `ray start --block` in its own process group
    id: str = ""

    def kill(self) -> None:
        """The node dies at once: raylet, its workers, everything in its process group."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


@dataclass
class Cluster:
    address: str
    tmp: Path  # TMPDIR of every node's workers: where task temp folders appear
    head_id: str = ""
    nodes: dict[str, Node] = field(default_factory=dict)  # worker nodes by name

    @property
    def env(self) -> dict[str, str]:
        return env(self.tmp)

    def add(self, name: str) -> Node:
        """One more worker node of 1 CPU; returns once the cluster sees it alive."""
        node = self.nodes[name] = Node(name, _worker(self.address, name, self.env))
        node.id = wait_for(self, {name})[name]
        return node

    def alive(self) -> dict[str, str]:
        """Custom resource name -> node id, of the nodes alive now."""
        probe = (
            f"import json, ray; ray.init(address={self.address!r}, log_to_driver=False);"
            "print('PROBE', json.dumps([(n['NodeID'], sorted(n['Resources'])) for n in ray.nodes() if n['Alive']]))"
        )
        try:
            out = subprocess.run(
                [sys.executable, "-c", probe],
                capture_output=True,
                text=True,
                env=self.env,
                timeout=120,
            )
        except subprocess.TimeoutExpired:  # the head is busy: the caller asks again
            return {}
        if out.returncode != 0 or not out.stdout.strip():
            return {}
        return {
            r: node
            for node, resources in json.loads(_probe_line(out.stdout))
            for r in resources
            if r == "head" or r in self.nodes
        }

    def resources(self) -> tuple[float, float]:
        """(available, total) CPUs of the cluster: equal once no task or actor holds one."""
        probe = (
            f"import ray; ray.init(address={self.address!r}, log_to_driver=False);"
            "print('PROBE', ray.available_resources().get('CPU', 0), ray.cluster_resources().get('CPU', 0))"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=self.env, timeout=120
        )
        free, total = _probe_line(out.stdout).split()
        return float(free), float(total)


def _probe_line(stdout: str) -> str:
    """The probe's own line: Ray prints its warnings (lagging heartbeats, ...) to stdout too."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("PROBE "):
            return line[len("PROBE ") :]
    raise AssertionError(f"the probe printed no answer: {stdout[-500:]!r}")


def env(tmp: Path) -> dict[str, str]:
    e = {**os.environ, **SETTINGS, "TMPDIR": str(tmp)}
    # a home of its own: Ray reads ~/.ray/auth_token when present, which anything on the machine
    # may write (one appeared mid-run here), and a node then failed to join its head
    e["HOME"] = str(tmp.parent / "home")
    e.pop("RAY_AUTH_TOKEN", None)
    e.pop("RAY_AUTH_TOKEN_PATH", None)
    e.pop("RAY_ADDRESS", None)
    return e


def start(workers: tuple[str, ...] = ("worker",), port: int = PORT) -> Cluster:
    """A head plus the named worker nodes, 1 CPU each, all alive when this returns."""
    tmp = Path(tempfile.mkdtemp(prefix="raytest-"))
    (tmp / "tasks").mkdir()
    (tmp / "home").mkdir()
    cluster = Cluster(f"127.0.0.1:{port}", tmp / "tasks")
    # this process is a driver too (in-process CLI runs, the benchmark's executors)
    os.environ["HOME"] = cluster.env["HOME"]
    subprocess.run(
        [
            str(BIN / "ray"),
            "start",
            "--head",
            "--port",
            str(port),
            "--temp-dir",
            str(tmp / "ray"),
            "--include-dashboard=false",
            "--resources",
            '{"head": 1}',
            *_COMMON,
        ],
        check=True,
        capture_output=True,
        env=cluster.env,
    )
    try:
        for name in workers:
            cluster.nodes[name] = Node(name, _worker(cluster.address, name, cluster.env))
        ids = wait_for(cluster, {"head", *workers})
    except BaseException:
        stop(cluster)
        raise
    cluster.head_id = ids["head"]
    for name in workers:
        cluster.nodes[name].id = ids[name]
    return cluster


_COMMON = ["--num-cpus", "1", "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]


def _worker(address: str, name: str, e: dict[str, str]) -> subprocess.Popen:
    log = Path(e["TMPDIR"]).parent / f"node-{name}.log"  # why a start failed, for the error
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                str(BIN / "ray"),
                "start",
                "--block",
                "--address",
                address,
                "--resources",
                json.dumps({name: 1}),
                # the head's: by default a node reads /tmp/ray/session_latest, which any other
                # Ray cluster on the machine (another namespace's) may have started last
                "--temp-dir",
                str(Path(e["TMPDIR"]).parent / "ray"),
                *_COMMON,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=e,
            start_new_session=True,
        )


def wait_for(cluster: Cluster, names: set[str], timeout: float = 300) -> dict[str, str]:
    """Waits (asking the cluster, not sleeping a guess) until the named nodes are alive."""
    deadline = time.monotonic() + timeout
    restarts: dict[str, int] = {}
    while time.monotonic() < deadline:
        alive = cluster.alive()
        if names <= alive.keys():
            return alive
        for name in names - {"head"}:
            node = cluster.nodes[name]
            if node.proc.poll() is not None:  # a join can time out on a busy machine: again
                restarts[name] = restarts.get(name, 0) + 1
                log = (cluster.tmp.parent / f"node-{name}.log").read_text(errors="replace")
                if restarts[name] > 3:
                    raise RuntimeError(f"ray node {name} exited while starting: {log[-1500:]}")
                node.proc = _worker(cluster.address, name, cluster.env)
        time.sleep(1)
    raise RuntimeError(f"the Ray nodes {sorted(names)} did not come up in {timeout:.0f}s")


def stop(cluster: Cluster) -> None:
    """Kills this cluster's processes only: `ray stop` would stop every Ray process on the
    machine, other namespaces' clusters included (another test run, a benchmark). Every process
    of this cluster (head, raylets, workers, sandboxes) was started with its TMPDIR."""
    mark = f"TMPDIR={cluster.tmp}".encode()
    # the whole tree, taken before anything dies: Ray's agents rewrite their environment with
    # their process title (no TMPDIR left to find) and, orphaned, outlived their raylet by minutes
    tree = _descendants({n.proc.pid for n in cluster.nodes.values()} | set(_started_with(mark)))
    for node in cluster.nodes.values():
        if node.proc.poll() is None:
            node.kill()
    deadline = time.monotonic() + 30
    while (pids := _alive(tree) + _started_with(mark)) and time.monotonic() < deadline:
        tree |= _descendants(set(pids))
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.5)
    shutil.rmtree(cluster.tmp.parent, ignore_errors=True)


def _parents() -> dict[int, int]:
    out = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit():
                stat = (proc / "stat").read_text()
                out[int(proc.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return out


def _descendants(roots: set[int]) -> set[int]:
    """`roots` and every process below them."""
    parents, found = _parents(), set(roots)
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found - {os.getpid()}


def _alive(pids: set[int]) -> list[int]:
    """Those of pids still running (a zombie is done: only its parent can reap it)."""
    out = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[0] != "Z":
            out.append(pid)
    return out


def _started_with(mark: bytes) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and mark in (proc / "environ").read_bytes().split(b"\0"):
                out.append(int(proc.name))
        except OSError:
            continue
    return [pid for pid in out if pid != os.getpid()]
