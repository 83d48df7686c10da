#!/usr/bin/env python3
"""Batch of the corpus: the local executor (one entry at a time, 1 worker each) against Ray with
2 nodes of 1 CPU each, on this machine, inside a network namespace of its own (root, `unshare -n`).

    python bench/ray_batch.py [--cases N] [--max-evals 60] [--out bench/results/ray-batch.json]

Reports wall time of both batches and their throughput ratio, per-entry repair time inside the
task (Ray) vs in process (local), the driver-side overhead per entry (Ray's wall time spent beyond
the repairs' own time, per node), and whether both batches found identical fixes.
"""

from __future__ import annotations

import argparse
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
BIN = Path(sys.executable).parent
PORT = 6393


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


def batch(repos: Path, out: Path, env: dict, max_evals: int, *extra: str) -> tuple[float, dict]:
    t0 = time.monotonic()
    subprocess.run(
        [
            str(BIN / "treefix"),
            "batch",
            str(repos),
            "--out",
            str(out),
            "--sandbox",
            "local",
            "--workers",
            "1",
            "--max-evals",
            str(max_evals),
            "--time-limit",
            "300",
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - t0
    return wall, json.loads((out / "batch.json").read_text())


def start_cluster(tmp: Path, env: dict) -> None:
    common = ["--num-cpus", "1", "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    subprocess.run(
        [
            str(BIN / "ray"),
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
        env=env,
    )
    subprocess.run(
        [str(BIN / "ray"), "start", "--address", f"127.0.0.1:{PORT}", *common],
        check=True,
        capture_output=True,
        env=env,
    )


def inside(args: argparse.Namespace) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    try:
        names = corpus(tmp / "repos", args.cases)
        local_wall, local = batch(tmp / "repos", tmp / "local", env, args.max_evals)
        t0 = time.monotonic()
        start_cluster(tmp, env)
        cluster_start = time.monotonic() - t0
        ray_wall, ray = batch(
            tmp / "repos",
            tmp / "ray",
            env,
            args.max_evals,
            "--executor",
            "ray",
            "--ray-address",
            f"127.0.0.1:{PORT}",
        )
    finally:
        subprocess.run([str(BIN / "ray"), "stop", "--force"], capture_output=True, env=env)
        shutil.rmtree(tmp, ignore_errors=True)
    here = {r["name"]: r for r in local["results"]}
    there = {r["name"]: r for r in ray["results"]}
    same = [
        n
        for n in names
        if here[n].get("fix_patch") == there[n].get("fix_patch")
        and here[n]["status"] == there[n]["status"]
    ]
    ray_task = sum(r.get("seconds") or 0 for r in there.values())
    nodes = len({r.get("node") for r in there.values()})
    return {
        "cases": len(names),
        "max_evals": args.max_evals,
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
        "median_entry_s_ray_task": round(
            statistics.median(r["seconds"] for r in there.values()), 2
        ),
        # the driver's wall time beyond the repairs' own, spread over the 2 nodes, per entry
        "driver_prepare_s_per_entry": round(ray.get("prepare_seconds", 0) / len(names), 3),
        "ray_overhead_per_entry_s": round((ray_wall * nodes - ray_task) / len(names), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=44)
    ap.add_argument("--max-evals", type=int, default=60)
    ap.add_argument("--out", default=str(BENCH / "results" / "ray-batch.json"))
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        print(json.dumps(inside(args)))
        return
    me = [
        sys.executable,
        __file__,
        "--inside",
        "--cases",
        str(args.cases),
        "--max-evals",
        str(args.max_evals),
    ]
    inner = "ip link set lo up && exec " + " ".join(me)
    r = subprocess.run(["unshare", "-n", "sh", "-c", inner], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench failed: {r.stderr[-2000:]}")
    result = json.loads(r.stdout.strip().splitlines()[-1])
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
