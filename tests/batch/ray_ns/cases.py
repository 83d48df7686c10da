"""`treefix batch --executor ray` on a real 2-node cluster. Runs only inside the network namespace
that tests/batch/test_ray_cluster.py makes (`unshare -n`, loopback only); one cluster for all."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.batch.ray_ns.cluster import Cluster, env, start, stop
from tests.conftest import BUGGY, init_repo, write_tree
from treefix.cli.app import app

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ["money_split", "password_policy"]
FAST = ["--sandbox", "local", "--max-evals", "40", "--time-limit", "400", "--workers", "1"]
FIXED = BUGGY["shop/cart.py"].replace("len(prices) > discount_from", "len(prices) >= discount_from")
SLOW_TEST = "import time\n\ndef test_slow():\n    time.sleep(%d)\n"


@pytest.fixture(scope="module")
def cluster():
    c = start()
    try:
        yield c
    finally:
        stop(c)


def _repos(root: Path, n_shops: int = 2, sleep: int = 0) -> Path:
    repos = root / "repos"
    for i in range(n_shops):
        files = dict(BUGGY)
        if sleep:
            files["tests/test_slow.py"] = SLOW_TEST % sleep
        init_repo(write_tree(repos / f"shop{i}", files))
    return repos


def _batch(cluster: Cluster | None, source: Path, out: Path, *extra: str):
    ray = ["--executor", "ray", "--ray-address", cluster.address] if cluster else []
    return CliRunner().invoke(app, ["batch", str(source), "--out", str(out), *FAST, *ray, *extra])


def _results(out: Path) -> dict[str, dict]:
    return {r["name"]: r for r in json.loads((out / "batch.json").read_text())["results"]}


def test_entries_run_on_both_nodes_same_fixes_as_local_and_resume(cluster: Cluster, tmp_path):
    repos = _repos(tmp_path, n_shops=3)
    for case in CORPUS:
        shutil.copytree(ROOT / "bench" / "corpus" / case, repos / case)
        init_repo(repos / case)
    local = _batch(None, repos, tmp_path / "local")
    on_ray = _batch(cluster, repos, tmp_path / "ray")
    assert on_ray.exit_code == local.exit_code, on_ray.output
    here, there = _results(tmp_path / "local"), _results(tmp_path / "ray")
    assert sorted(here) == sorted(there) and len(there) == 5
    assert len({r["node"] for r in there.values()}) == 2  # work ran on both nodes
    for name in here:  # same seed, same worker count: same search, same fix
        assert there[name]["status"] == here[name]["status"], name
        assert there[name].get("fix_patch") == here[name].get("fix_patch"), name
        assert there[name]["evaluations"] == here[name]["evaluations"], name
    assert there["shop0"]["status"] == "fixed"
    # the snapshot travelled through the object store: the user's trees were not written
    assert (repos / "shop0" / "shop" / "cart.py").read_text() == BUGGY["shop/cart.py"]
    again = _batch(cluster, repos, tmp_path / "ray", "--resume")
    assert again.exit_code == on_ray.exit_code
    assert all(r.get("resumed") for r in _results(tmp_path / "ray").values())


def test_repair_with_ray_actors_finds_the_same_fix_as_local_threads(cluster: Cluster, tmp_path):
    repo = _repos(tmp_path, n_shops=1) / "shop0"
    args = [
        "repair",
        str(repo),
        "--json",
        "--sandbox",
        "local",
        "--workers",
        "2",
        "--seed",
        "3",
        "--max-evals",
        "60",
    ]
    local = CliRunner().invoke(app, args)
    on_ray = CliRunner().invoke(app, [*args, "--executor", "ray", "--ray-address", cluster.address])
    assert on_ray.exit_code == local.exit_code == 0, on_ray.output
    here, there = json.loads(local.stdout), json.loads(on_ray.stdout)
    assert there["fix"]["patch"] == here["fix"]["patch"]
    assert there["search"]["evaluations"] == here["search"]["evaluations"]
    assert "ray: 2 sandbox actor(s) on 2 node(s)" in on_ray.stderr


def test_doctor_lists_the_cluster_nodes_and_resources(cluster: Cluster):
    r = CliRunner().invoke(app, ["doctor", "--json", "--ray-address", cluster.address])
    rows = json.loads(r.stdout)
    assert rows["ray cluster"]["ok"], rows["ray cluster"]
    assert "2 node(s)" in rows["ray cluster"]["detail"] and "CPU 2" in rows["ray cluster"]["detail"]


def _wait_for_task(cluster: Cluster, node: str = "", timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.name.startswith(f"treefix-batch-{node[:8]}") for p in cluster.tmp.iterdir()):
            return
        time.sleep(0.2)
    raise AssertionError("no repair task started")


def _console_batch(cluster: Cluster, repos: Path, out: Path, *extra: str) -> subprocess.Popen:
    ray = ["--executor", "ray", "--ray-address", cluster.address]
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "treefix"),
            "batch",
            str(repos),
            "--out",
            str(out),
            *FAST,
            *ray,
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(cluster.tmp),
    )


def test_ctrl_c_cancels_the_batch_and_leaves_nothing_behind(cluster: Cluster, tmp_path):
    repos = _repos(tmp_path, n_shops=2, sleep=60)
    proc = _console_batch(cluster, repos, tmp_path / "out")
    _wait_for_task(cluster)
    time.sleep(3)  # inside the repair: sandboxes made, the baseline running
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    statuses = {r["status"] for r in _results(tmp_path / "out").values()}
    assert statuses == {"interrupted"}, statuses
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and list(cluster.tmp.iterdir()):
        time.sleep(0.5)
    assert list(cluster.tmp.iterdir()) == []  # no task folder, no sandbox copy
    assert _working_in(cluster.tmp) == [] and _working_in(tmp_path) == []  # no test run left


def _working_in(folder: Path) -> list[str]:
    """Processes (of any namespace) whose working directory is inside folder."""
    out = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "cwd").startswith(str(folder)):
                out.append((proc / "cmdline").read_text().replace("\0", " "))
        except OSError:
            continue
    return out


def test_a_worker_node_lost_mid_batch_still_gives_one_result_and_one_write_back(
    cluster: Cluster, tmp_path
):
    repos = _repos(tmp_path, n_shops=3, sleep=4)
    proc = _console_batch(cluster, repos, tmp_path / "out", "--apply", "--max-retries", "2")
    _wait_for_task(cluster, cluster.worker_id)  # an entry is in flight on the worker node
    cluster.kill_worker()
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    data = json.loads((tmp_path / "out" / "batch.json").read_text())
    assert sorted(r["name"] for r in data["results"]) == ["shop0", "shop1", "shop2"]
    for r in data["results"]:
        assert r["status"] == "fixed", r
        assert r["written_back"] == ["shop/cart.py"], r
        assert r["node"] != cluster.worker_id  # the killed node's entry ran again elsewhere
        assert (repos / r["name"] / "shop" / "cart.py").read_text() == FIXED
        assert not (repos / r["name"] / ".treefix" / "apply").exists() or not os.listdir(
            repos / r["name"] / ".treefix" / "apply"
        )
