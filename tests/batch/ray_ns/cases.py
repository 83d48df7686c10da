"""`treefix batch` and `treefix repair` with `--executor ray` on a real Ray cluster. Runs only
inside the network namespace that tests/batch/test_ray_cluster.py makes (`unshare -n`, loopback
only). One cluster (a head and a worker node, 1 CPU each) serves the module; the node-loss tests
add a node of their own and kill it, so the others keep their 2 nodes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.batch.ray_ns.cluster import Cluster, Node, start, stop
from tests.conftest import BUGGY, init_repo, write_tree
from treefix.cli.app import app

ROOT = Path(__file__).resolve().parents[3]
# Local vs Ray on a subset of bench/corpus (bench/ray_batch.py compares all 44): one case of each
# kind of search the corpus has: a one-edit operator fix found early (money_split) and later
# (password_policy), a syntax error (grade_syntax), a fix of two edits (temperature_multi) and a
# bug whose tests hang, so candidates end by timeout (aspect_ratio_hang).
CORPUS = [
    "money_split",
    "password_policy",
    "grade_syntax",
    "temperature_multi",
    "aspect_ratio_hang",
]
FAST = ["--sandbox", "local", "--max-evals", "60", "--time-limit", "400", "--workers", "1"]
FIXED = BUGGY["shop/cart.py"].replace("len(prices) > discount_from", "len(prices) >= discount_from")
SLOW_TEST = "import time\n\ndef test_slow():\n    time.sleep(%d)\n"
TREEFIX = str(Path(sys.executable).parent / "treefix")


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
    assert on_ray.exit_code == local.exit_code == 0, on_ray.output
    here, there = _results(tmp_path / "local"), _results(tmp_path / "ray")
    assert sorted(here) == sorted(there) and len(there) == 3 + len(CORPUS)
    assert {r["node"] for r in there.values()} == {cluster.head_id, cluster.nodes["worker"].id}
    for name in here:  # same seed, same worker count: same search, same fix
        assert there[name]["status"] == here[name]["status"] == "fixed", name
        assert there[name]["fix_patch"] == here[name]["fix_patch"], name
        assert there[name]["evaluations"] == here[name]["evaluations"], name
    # the snapshot travelled through the object store: the user's trees were not written
    assert (repos / "shop0" / "shop" / "cart.py").read_text() == BUGGY["shop/cart.py"]
    again = _batch(cluster, repos, tmp_path / "ray", "--resume")
    assert again.exit_code == on_ray.exit_code
    assert all(r.get("resumed") for r in _results(tmp_path / "ray").values())


@pytest.mark.parametrize("case", ["shop", "temperature_multi"])
def test_repair_with_ray_actors_finds_the_same_fix_as_local_threads(
    cluster: Cluster, tmp_path, case
):
    if case == "shop":
        repo = _repos(tmp_path, n_shops=1) / "shop0"
    else:
        repo = init_repo(shutil.copytree(ROOT / "bench" / "corpus" / case, tmp_path / case))
    args = ["repair", str(repo), "--json", "--sandbox", "local", "--workers", "2", "--seed", "3"]
    args += ["--max-evals", "60"]
    local = CliRunner().invoke(app, args)
    on_ray = CliRunner().invoke(app, [*args, "--executor", "ray", "--ray-address", cluster.address])
    assert on_ray.exit_code == local.exit_code == 0, on_ray.output
    here, there = json.loads(local.stdout), json.loads(on_ray.stdout)
    assert there["fix"]["patch"] == here["fix"]["patch"]
    assert there["search"]["evaluations"] == here["search"]["evaluations"]
    assert "ray: 2 sandbox actor(s) on 2 node(s)" in on_ray.stderr
    assert here["sandbox"]["executor"] == "local" and there["sandbox"]["executor"] == "ray"
    assert sorted(there["sandbox"]["nodes"]) == sorted(
        [cluster.head_id, cluster.nodes["worker"].id]
    )


def test_doctor_lists_the_cluster_nodes_and_resources(cluster: Cluster):
    r = CliRunner().invoke(app, ["doctor", "--json", "--ray-address", cluster.address])
    rows = json.loads(r.stdout)
    assert rows["ray cluster"]["ok"], rows["ray cluster"]
    assert "2 node(s)" in rows["ray cluster"]["detail"] and "CPU 2" in rows["ray cluster"]["detail"]


def _until(what: str, check: Callable[[], object], proc: subprocess.Popen, timeout: float = 300):
    """Waits for a condition (not a guessed sleep); fails early when the command has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(
                f"ended ({proc.returncode}) before {what}: {out[-1500:]}{err[-3000:]}"
            )
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout:.0f}s")


def _console(cluster: Cluster, *args: str) -> subprocess.Popen:
    ray = ["--executor", "ray", "--ray-address", cluster.address]
    return subprocess.Popen(
        [TREEFIX, *args, *ray],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cluster.env,
    )


def _tests_running(folder: Path, node: Node | None = None) -> list[str]:
    """Test runs (processes of any namespace: pytest, or the warm runner's forks) working inside
    folder; with node, only those started under that node's raylet."""
    out = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or not os.readlink(proc / "cwd").startswith(str(folder)):
                continue
            cmd = (proc / "cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        if node is None or node.proc.pid in _ancestors(int(proc.name)):
            out.append(cmd)
    return out


def _crash_traces(folder: Path) -> str:
    """The console script's internal-error traces (written to TMPDIR), for a failure message."""
    return "".join(p.read_text() for p in folder.glob("treefix-crash-*"))


def _ancestors(pid: int) -> list[int]:
    chain = []
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        chain.append(pid)
    return chain


def _left_behind(cluster: Cluster, *folders: Path, existing: frozenset[Path] = frozenset()) -> None:
    """Asserts the cluster holds no task or actor (every CPU free again), that no task or
    sandbox folder is left, and no test process runs in them. `existing`: folders there before
    the test (a node killed by an earlier test could not remove its own)."""

    def new() -> list[Path]:
        return [p for p in cluster.tmp.iterdir() if p not in existing]

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        free, total = cluster.resources()
        if free == total and not new():
            break
        time.sleep(1)
    assert cluster.resources() == (2.0, 2.0)  # no Ray task or actor holds a CPU
    assert new() == []  # no task folder, actor folder or sandbox copy
    for folder in (cluster.tmp, *folders):
        assert _tests_running(folder) == []


def test_ctrl_c_cancels_the_batch_and_leaves_nothing_behind(cluster: Cluster, tmp_path):
    repos = _repos(tmp_path, n_shops=2, sleep=120)
    args = ["batch", str(repos), "--out", str(tmp_path / "out"), *FAST]
    proc = _console(cluster, *args)
    _until("test run on both nodes", lambda: len(_tests_running(cluster.tmp)) >= 2, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    statuses = {r["status"] for r in _results(tmp_path / "out").values()}
    assert statuses == {"interrupted"}, statuses
    _left_behind(cluster, tmp_path)


def test_ctrl_c_cancels_a_repair_on_ray_actors_and_leaves_nothing_behind(
    cluster: Cluster, tmp_path
):
    repo = _repos(tmp_path, n_shops=1, sleep=120) / "shop0"
    proc = _console(cluster, "repair", str(repo), "--json", *FAST[:2], "--workers", "2")
    _until("baseline run in an actor's sandbox", lambda: _tests_running(cluster.tmp), proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert json.loads(out)["status"] == "interrupted"
    _left_behind(cluster, tmp_path)
    assert (repo / "shop" / "cart.py").read_text() == BUGGY["shop/cart.py"]


def test_a_worker_node_lost_mid_batch_still_gives_one_result_and_one_write_back(
    cluster: Cluster, tmp_path
):
    lost = cluster.add("lost_in_batch")  # 3 nodes: each of the 3 entries starts on one
    repos = _repos(tmp_path, n_shops=3, sleep=4)
    out_dir = tmp_path / "out"
    args = ["batch", str(repos), "--out", str(out_dir), *FAST, "--apply", "--max-retries", "2"]
    proc = _console(cluster, *args)
    _until("an entry's tests running on the node", lambda: _tests_running(cluster.tmp, lost), proc)
    lost.kill()
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    results = _results(out_dir)
    assert sorted(results) == ["shop0", "shop1", "shop2"]
    assert sorted(p.name for p in (out_dir / "results").iterdir()) == [
        "shop0.json",
        "shop1.json",
        "shop2.json",
    ]
    for name, r in results.items():
        assert r["status"] == "fixed", r
        assert r["written_back"] == ["shop/cart.py"], r  # once: a second one would be refused
        assert "not written back" not in (r.get("message") or ""), r
        assert r["node"] != lost.id  # the killed node's entry ran again elsewhere
        assert (repos / name / "shop" / "cart.py").read_text() == FIXED
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=repos / name, capture_output=True, text=True
        )
        assert status.stdout.split() == ["M", "shop/cart.py"]  # nothing else written or left


def test_a_node_lost_mid_repair_has_its_candidates_evaluated_elsewhere(cluster: Cluster, tmp_path):
    lost = cluster.add("lost_in_repair")  # 3 nodes, 3 actors: one on each
    repo = _repos(tmp_path, n_shops=1) / "shop0"
    # every run takes 2 s more, in collection (a slow test would meet the per-test limit)
    slow = "import time\n\ntime.sleep(2)\n" + BUGGY["tests/test_cart.py"]
    (repo / "tests" / "test_cart.py").write_text(slow)
    args = ["repair", str(repo), "--json", "--apply", "--sandbox", "local", "--workers", "3"]
    proc = _console(cluster, *args, "--seed", "3", "--max-evals", "150")
    lines: list[str] = []  # stderr as it comes: the baseline's line says candidates come next
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    _until("the baseline's end", lambda: any(x.startswith("baseline:") for x in lines), proc)
    _until("a candidate run on the node's actor", lambda: _tests_running(cluster.tmp, lost), proc)
    lost.kill()
    out = proc.stdout.read() if proc.stdout else ""
    proc.wait(timeout=900)
    reader.join(timeout=60)
    err = "".join(lines)
    assert proc.returncode == 0, err + _crash_traces(cluster.tmp)
    assert "ray: 3 sandbox actor(s) on 3 node(s)" in err
    assert "a sandbox actor was lost with its node; its evaluations run again" in err
    assert json.loads(out)["status"] == "fixed"
    # written back, and a fix (not always FIXED's spelling: the timings of a loaded machine, and
    # so the per-test limits, may steer the search to an equivalent one such as `not ... <`)
    assert (repo / "shop" / "cart.py").read_text() != BUGGY["shop/cart.py"]
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo
    )
    assert tests.returncode == 0


def _containers(client, *reports: str) -> set[str]:
    """Ids of the containers (running or not) of the runs whose --json reports are given: other
    treefix runs may share the engine (another user, a benchmark), and their containers come
    and go while a test runs."""
    runs = {json.loads(r)["run_id"] for r in reports}
    # sparse: no inspect per container, which races with a container being removed
    listed = client.containers.list(all=True, sparse=True, filters={"label": "treefix"})
    return {c.id for c in listed if (c.attrs.get("Labels") or {}).get("treefix.run") in runs}


def _ours(container) -> bool:
    """Started by a process in this test's network namespace (the cluster's actors), not by
    another treefix run on the same engine."""
    try:
        pid = int((container.attrs.get("Labels") or {}).get("treefix.pid", "0"))
        return os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net")
    except (OSError, ValueError):
        return False


def _busy_containers(client) -> list[str]:
    """This cluster's containers whose processes include a test run (pytest or a warm runner's
    child)."""
    busy = []
    for c in client.containers.list(sparse=True, filters={"label": "treefix"}):
        if _ours(c):
            try:
                rows = c.top(ps_args="-eo pid,args").get("Processes") or []
            except Exception:  # removed meanwhile
                continue
            if any("test_slow" in " ".join(r) or "pytest" in " ".join(r) for r in rows):
                busy.append(c.id)
    return busy


def test_repair_in_docker_sandboxes_on_ray_actors_same_fix_as_threads(
    cluster: Cluster, tmp_path, docker_engine, sandbox_image
):
    repo = _repos(tmp_path, n_shops=1) / "shop0"
    args = ["repair", str(repo), "--json", "--sandbox", "docker", "--workers", "2", "--seed", "3"]
    args += ["--max-evals", "60"]
    threads = CliRunner().invoke(app, args)
    on_ray = CliRunner().invoke(app, [*args, "--executor", "ray", "--ray-address", cluster.address])
    assert on_ray.exit_code == threads.exit_code == 0, on_ray.output
    here, there = json.loads(threads.stdout), json.loads(on_ray.stdout)
    assert there["sandbox"]["kind"] == "docker" and there["status"] == "fixed"
    assert there["fix"]["patch"] == here["fix"]["patch"]
    assert there["search"]["evaluations"] == here["search"]["evaluations"]
    assert "ray: 2 sandbox actor(s) on 2 node(s), docker sandboxes" in on_ray.stderr
    # each actor removed its container
    assert _containers(docker_engine, threads.stdout, on_ray.stdout) == set()


def test_actors_killed_before_they_close_leave_no_folder_and_no_container(
    cluster: Cluster, tmp_path, docker_engine, sandbox_image, monkeypatch
):
    """The driver kills actors whose close outlasts its grace (a slow engine under load): with
    no grace at all, what they hold on their nodes must still go (the reaper's job)."""
    from treefix.executors.ray import RayExecutor

    monkeypatch.setattr(RayExecutor, "close_grace", 0.0)
    repo = _repos(tmp_path, n_shops=1) / "shop0"
    folders = frozenset(cluster.tmp.iterdir())
    args = ["repair", str(repo), "--json", "--sandbox", "docker", "--workers", "2", "--seed", "3"]
    args += ["--max-evals", "60", "--executor", "ray", "--ray-address", cluster.address]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0 and json.loads(r.stdout)["status"] == "fixed", r.output
    _left_behind(cluster, tmp_path, existing=folders)
    deadline = time.monotonic() + 60
    while _containers(docker_engine, r.stdout) and time.monotonic() < deadline:
        time.sleep(1)
    assert _containers(docker_engine, r.stdout) == set()


def test_ctrl_c_of_a_repair_in_docker_sandboxes_on_ray_leaves_no_container(
    cluster: Cluster, tmp_path, docker_engine, sandbox_image
):
    repo = _repos(tmp_path, n_shops=1, sleep=120) / "shop0"
    folders = frozenset(cluster.tmp.iterdir())
    args = ["repair", str(repo), "--json", "--sandbox", "docker", "--workers", "2"]
    proc = _console(cluster, *args)
    _until("a test run in an actor's container", lambda: _busy_containers(docker_engine), proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert json.loads(out)["status"] == "interrupted"
    _left_behind(cluster, tmp_path, existing=folders)
    assert _containers(docker_engine, out) == set()
    assert (repo / "shop" / "cart.py").read_text() == BUGGY["shop/cart.py"]


def test_a_node_without_the_docker_image_ends_the_repair_naming_the_node_and_the_fix(
    cluster: Cluster, tmp_path, docker_engine, sandbox_image
):
    # its own dependency list, so its own image tag, never built on any node
    files = {**BUGGY, "requirements.txt": f"treefix-unbuilt-{os.getpid()}-{time.time_ns()}==1.0\n"}
    repo = init_repo(write_tree(tmp_path / "unbuilt", files))
    folders = frozenset(cluster.tmp.iterdir())
    args = ["repair", str(repo), "--sandbox", "docker", "--workers", "2"]
    r = CliRunner().invoke(app, [*args, "--executor", "ray", "--ray-address", cluster.address])
    assert r.exit_code == 3, r.output
    said = " ".join(r.stderr.split())
    assert "ray node " in said and f"treefix sandbox build {repo}" in said, said
    assert "lost with its node" not in said
    _left_behind(cluster, tmp_path, existing=folders)


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_batch_branch_on_ray_commits_each_fix_on_the_driver_once(cluster: Cluster, tmp_path):
    repos = _repos(tmp_path, n_shops=2)
    write_tree(repos / "plain", dict(BUGGY))  # outside git: refused before any task
    heads = {n: _git(repos / n, "rev-parse", "HEAD") for n in ("shop0", "shop1")}
    r = _batch(cluster, repos, tmp_path / "out", "--branch", "treefix/fix")
    assert r.exit_code == 1, r.output
    res = _results(tmp_path / "out")
    assert res["plain"]["status"] == "error" and "needs a git repository" in res["plain"]["message"]
    assert "node" not in res["plain"]  # never sent to the cluster
    for name in ("shop0", "shop1"):
        repo = repos / name
        assert res[name]["status"] == "fixed" and res[name]["node"], res[name]
        assert _git(repo, "rev-parse", "treefix/fix") == res[name]["commit"]
        assert _git(repo, "rev-parse", "treefix/fix~1") == heads[name]
        assert _git(repo, "show", "treefix/fix:shop/cart.py") == FIXED.strip()
        assert _git(repo, "rev-parse", "HEAD") == heads[name]  # tree, index, HEAD untouched
        assert _git(repo, "status", "--porcelain") == ""
