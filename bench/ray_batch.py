#!/usr/bin/env python3
"""The corpus on Ray against the local executor, on this machine, inside a network namespace of
its own (root, `unshare -n`; the cluster is tests/batch/ray_ns/cluster.py's, as in the tests):

    python bench/ray_batch.py [--cases 44] [--evals-cases 6] [--reps 15] [--repair-cases 44]

1. `treefix batch` of the corpus, 1 worker per entry: the local executor (one entry at a time)
   against Ray tasks on 2 nodes of 1 CPU each: wall times, throughput ratio, identical outcomes
   (status, fix, evaluation count) entry by entry.
2. Ray's overhead per candidate evaluation: one repair's executor (1 worker) with local threads
   and with a Ray actor over the same project, the same evaluation (a one-file change, the whole
   suite) alternated --reps times; the driver's wall time per evaluation, median of each and of
   the paired differences.
3. `treefix repair --workers 2` with threads against Ray actors (2 nodes): same search and fix.
4. A scale-out model for a 500-bug batch on 1..64 machines of 2 CPUs from the measured per-entry
   task times (Ray's), Ray's per-entry overhead and the driver's serial preparation.

Writes bench/results/ray-batch.json (and prints it). The machine may be shared: the load average
before and after is recorded with the figures.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # tests.batch.ray_ns.cluster

from tests.batch.ray_ns.cluster import env as cluster_env  # noqa: E402
from tests.batch.ray_ns.cluster import start, stop  # noqa: E402

BIN = Path(sys.executable).parent
PORT = 6393  # not the tests' port: both may run at once in different namespaces
COMMON = ["--sandbox", "local", "--seed", "0", "--max-evals", "600", "--time-limit", "120"]


def use_time_limit(seconds: int) -> None:
    """Each entry's --time-limit. With one large enough that no search is cut by the clock, every
    search ends by itself (a fix, or the evaluation budget): same seed, same search on both."""
    COMMON[-1] = str(seconds)


def corpus(dest: Path, n: int) -> list[str]:
    names = sorted(p.name for p in (BENCH / "corpus").iterdir() if p.is_dir())[:n]
    for name in names:
        shutil.copytree(BENCH / "corpus" / name, dest / name)
        for args in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "case"],
        ):
            subprocess.run(["git", *args], cwd=dest / name, check=True, capture_output=True)
    return names


def batch(repos: Path, out: Path, env: dict, *extra: str) -> tuple[float, dict]:
    t0 = time.monotonic()
    r = subprocess.run(
        [str(BIN / "treefix"), "batch", str(repos), "--out", str(out), *COMMON, "--workers", "1"]
        + list(extra),
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - t0
    if not (out / "batch.json").exists():
        sys.exit(f"batch failed ({r.returncode}): {r.stderr[-2000:]}")
    return wall, json.loads((out / "batch.json").read_text())


def repair(repo: Path, env: dict, *extra: str) -> dict:
    r = subprocess.run(
        [str(BIN / "treefix"), "repair", str(repo), "--json", *COMMON, "--workers", "2", *extra],
        env=env,
        capture_output=True,
        text=True,
    )
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"status": f"no report (exit {r.returncode}): {r.stderr[-300:]}"}


def eval_overhead(repo: Path, address: str, reps: int) -> dict:
    """Driver-side wall time of one evaluation: local thread vs Ray actor, alternated."""
    from treefix.languages.python import PythonLanguage
    from treefix.pipeline.events import Events
    from treefix.pipeline.options import SandboxOptions
    from treefix.pipeline.sandboxes import open_executor
    from treefix.protocols import Evaluation
    from treefix.sandbox.backends import backend
    from treefix.workspace.snapshot import read_files, snapshot

    project = snapshot(repo)
    lang = PythonLanguage()
    command = lang.test_command(project.root, None, backend("local").python)
    src = sorted(project.sources)[0]
    changed = {src: read_files(project)[src][0] + b"\n# changed\n"}  # a candidate's edit
    ev = Evaluation(changed, None, 60.0, 30.0)
    executors = {}
    for name in ("local", "ray"):
        opts = SandboxOptions(sandbox="local", workers=1, executor=name, ray_address=address)
        executors[name], _ = open_executor(
            "local", None, project, f"bench-{name}", opts, lang.runner(command), Events()
        )
    wall: dict[str, list[float]] = {"local": [], "ray": []}
    inside: dict[str, list[float]] = {"local": [], "ray": []}
    try:
        for ex in executors.values():
            ex.run([ev])  # the baseline: decides warm or cold, as in a repair
        for _ in range(reps):
            for name, ex in executors.items():
                t0 = time.perf_counter()
                report = ex.run([ev])[0]
                wall[name].append(time.perf_counter() - t0)
                inside[name].append(report.duration)
    finally:
        for ex in executors.values():
            ex.close()
    diffs = [r - lo for r, lo in zip(wall["ray"], wall["local"], strict=True)]
    # beyond the run itself (the sandbox's own timing): what the executor adds around it
    around = {n: [w - i for w, i in zip(wall[n], inside[n], strict=True)] for n in wall}
    return {
        "case": repo.name,
        "median_local_ms": round(1000 * statistics.median(wall["local"]), 1),
        "median_ray_ms": round(1000 * statistics.median(wall["ray"]), 1),
        "median_paired_diff_ms": round(1000 * statistics.median(diffs), 1),
        "median_run_local_ms": round(1000 * statistics.median(inside["local"]), 1),
        "median_run_ray_ms": round(1000 * statistics.median(inside["ray"]), 1),
        "median_around_run_local_ms": round(1000 * statistics.median(around["local"]), 1),
        "median_around_run_ray_ms": round(1000 * statistics.median(around["ray"]), 1),
        "warm_runs": {n: ex.runner.warm_runs for n, ex in executors.items()},  # type: ignore[attr-defined]
    }


def makespan(durations: list[float], slots: int) -> float:
    """Entries in submission order, each to the slot free first (Ray's FIFO dispatch)."""
    free = [0.0] * slots
    for d in durations:
        heapq.heappush(free, heapq.heappop(free) + d)
    return max(free)


def scale_model(task_s: list[float], overhead_s: float, prepare_s: float) -> list[dict]:
    """500 entries drawn (in order, repeating) from the measured task times; 2 slots a machine."""
    entries = [task_s[i % len(task_s)] + overhead_s for i in range(500)]
    rows = []
    one = None
    for machines in (1, 2, 4, 8, 16, 32, 64, 128, 250):
        t = 500 * prepare_s + makespan(entries, 2 * machines)
        one = one or t
        rows.append(
            {
                "machines": machines,
                "minutes": round(t / 60, 1),
                "speedup": round(one / t, 1),
                "efficiency": round(one / t / machines, 2),
            }
        )
    return rows


def inside(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    env = cluster_env(tmp)  # the cluster's settings (TMPDIR unused by the local batch)
    load_before = os.getloadavg()
    cluster = None
    try:
        names = corpus(tmp / "repos", args.cases)
        local_wall, local = batch(tmp / "repos", tmp / "local", env)
        t0 = time.monotonic()
        cluster = start(port=PORT)
        cluster_start = time.monotonic() - t0
        ray = ["--executor", "ray", "--ray-address", cluster.address]
        ray_wall, on_ray = batch(tmp / "repos", tmp / "ray", cluster.env, *ray)
        quick = [n for n in names if not n.endswith("_hang")]  # a hang would time the limit
        evals = [
            eval_overhead(tmp / "repos" / n, cluster.address, args.reps)
            for n in quick[: args.evals_cases]
        ]
        same_repairs, differing_repairs = 0, []
        for n in names[: args.repair_cases]:
            threads = repair(tmp / "repos" / n, env)
            actors = repair(tmp / "repos" / n, cluster.env, *ray)
            key = [
                (
                    r.get("status"),
                    (r.get("fix") or {}).get("patch"),
                    r.get("search", {}).get("evaluations"),
                )
                for r in (threads, actors)
            ]
            if key[0] == key[1]:
                same_repairs += 1
            else:
                differing_repairs.append(n)
    finally:
        if cluster is not None:
            stop(cluster)
        shutil.rmtree(tmp, ignore_errors=True)
    here = {r["name"]: r for r in local["results"]}
    there = {r["name"]: r for r in on_ray["results"]}
    same = [
        n
        for n in names
        if (here[n]["status"], here[n].get("fix_patch"), here[n].get("evaluations"))
        == (there[n]["status"], there[n].get("fix_patch"), there[n].get("evaluations"))
    ]
    task_s = [there[n]["seconds"] for n in names]
    nodes = len({r.get("node") for r in there.values()})
    prepare = on_ray.get("prepare_seconds", 0) / len(names)
    # the wall time beyond the driver's preparation and the tasks' own times packed on the
    # nodes in submission order (so an idle node at the end is not counted), per entry a node ran
    packed = makespan(task_s, nodes) + prepare * len(names)
    per_entry_overhead = (ray_wall - packed) / (len(names) / nodes)
    return {
        "cases": len(names),
        "settings": " ".join(COMMON) + " --workers 1",
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "local_wall_s": round(local_wall, 1),
        "ray_wall_s": round(ray_wall, 1),
        "ray_cluster_start_s": round(cluster_start, 1),
        "throughput_ratio": round(local_wall / ray_wall, 2),
        "fixed_local": sum(r["status"] == "fixed" for r in here.values()),
        "fixed_ray": sum(r["status"] == "fixed" for r in there.values()),
        "identical_outcomes": len(same),
        "differing": [n for n in names if n not in same],
        "nodes_used": nodes,
        "median_entry_s_local": round(statistics.median(r["seconds"] for r in here.values()), 2),
        "median_entry_s_ray_task": round(statistics.median(task_s), 2),
        "max_entry_s_ray_task": round(max(task_s), 2),
        "driver_prepare_s_per_entry": round(prepare, 3),
        "ray_overhead_per_entry_s": round(per_entry_overhead, 2),
        "eval_overhead": evals,
        "eval_overhead_median_ms": round(
            statistics.median(e["median_paired_diff_ms"] for e in evals), 1
        )
        if evals
        else None,
        "eval_around_run_median_ms": {
            n: round(statistics.median(e[f"median_around_run_{n}_ms"] for e in evals), 1)
            for n in ("local", "ray")
        }
        if evals
        else None,
        "repairs_threads_vs_actors": {
            "cases": min(args.repair_cases, len(names)),
            "identical": same_repairs,
            "differing": differing_repairs,
        },
        "scale_model_500": scale_model(task_s, max(per_entry_overhead, 0.0), prepare),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=44)
    ap.add_argument("--evals-cases", type=int, default=6, help="cases for the per-eval overhead")
    ap.add_argument("--reps", type=int, default=15, help="evaluations per executor and case")
    ap.add_argument("--repair-cases", type=int, default=44, help="threads vs actors, workers 2")
    ap.add_argument("--time-limit", type=int, default=120, help="each entry's --time-limit")
    ap.add_argument("--out", default=str(BENCH / "results" / "ray-batch.json"))
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    use_time_limit(args.time_limit)
    if args.inside:
        print(json.dumps(inside(args)))
        return
    me = [sys.executable, __file__, "--inside", "--cases", str(args.cases)]
    me += ["--evals-cases", str(args.evals_cases), "--reps", str(args.reps)]
    me += ["--repair-cases", str(args.repair_cases), "--time-limit", str(args.time_limit)]
    inner = "ip link set lo up && exec " + " ".join(me)
    r = subprocess.run(["unshare", "-n", "sh", "-c", inner], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench failed: {r.stderr[-3000:]}")
    result = json.loads(r.stdout.strip().splitlines()[-1])
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
