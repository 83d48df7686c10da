"""What treefix's pytest plugin costs on a large real suite (networkx 3.2.1 from bench/large.py).

    .venv/bin/python bench/plugin_cost.py [--rounds N] [--only MODE ...] [--paths networkx/...]

Runs the clean networkx tree (copied to a temp dir, the large track's venv: Python 3.11, pytest
7.4.4, no coverage.py) in each mode, the modes interleaved round by round in one invocation:

- bare: `pytest -q -p no:cacheprovider`, as bench/large.py times the suite;
- plugin: treefix's plugin as the baseline runs it (JUnit, per-test records, alarm) without
  coverage;
- capped: the same with coverage on and the default trace-max-tests 1000 (tracing stops during
  collection: what the baseline ran before every test was traced);
- ctracer: every test traced with coverage.py's C tracer from treefix's own install;
- builtin: every test traced with the plugin's own choice (sys.monitoring on 3.12+; pass
  --python with another interpreter that has pytest; not in the default modes).

Prints wall and CPU (user + sys of the child) per run, the ratios to bare, and `uptime` before
and after each run: on a shared 2-core machine CPU is the figure load inflates least.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from treefix.sandbox.ctracer import ctracer_path
from treefix.sandbox.local import support_dir

CLEAN = Path(__file__).resolve().parent / ".work" / "large" / "clean"
PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]


def modes(results: Path, support: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    junit = [f"--junitxml={results}/junit.xml", "-o", "junit_family=xunit1"]
    plugin = ["-p", "treefix_pytest", *junit, "--color=no", "--tb=short"]
    env = {
        "PYTHONPATH": str(support),
        "TREEFIX_RESULTS": str(results),
        "TREEFIX_TEST_TIMEOUT": "10",
        "TREEFIX_LIST_TESTS": "1",
        "TREEFIX_MODULES": "1",
    }
    cov = {**env, "TREEFIX_COVERAGE": "1", "TREEFIX_CTRACER": ctracer_path()}
    return {
        "bare": ([], {}),
        "plugin": (plugin, env),
        "capped": (plugin, {**cov, "TREEFIX_TRACE_MAX_TESTS": "1000"}),
        "ctracer": (plugin, {**cov, "TREEFIX_TRACE_MAX_TESTS": "0", "TREEFIX_TRACER": "ctracer"}),
        # the plugin's own choice with no cap: sys.monitoring on 3.12+ (--python)
        "builtin": (plugin, {**cov, "TREEFIX_TRACE_MAX_TESTS": "0"}),
    }


def load() -> str:
    return open("/proc/loadavg").read().split()[0]


def run(python: str, root: Path, results: Path, extra: list[str], env: dict, paths: list[str]):
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir()
    full = {k: v for k, v in os.environ.items() if not k.startswith(("TREEFIX_", "PYTHONPATH"))}
    # as in treefix's sandbox (and a fresh checkout): every run compiles, no mode reuses another's .pyc
    full["PYTHONDONTWRITEBYTECODE"] = "1"
    full.update(env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([python, *PYTEST, *extra, *paths], cwd=root, env=full, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    size = sum(f.stat().st_size for f in results.iterdir()) if results.exists() else 0
    return wall, cpu, after.ru_maxrss, size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--paths", nargs="*", default=[])
    ap.add_argument("--python", default=str(CLEAN / ".venv/bin/python"), help="with pytest")
    args = ap.parse_args()
    python = args.python
    with tempfile.TemporaryDirectory() as tmp:
        root, results = Path(tmp) / "nx", Path(tmp) / "results"
        shutil.copytree(CLEAN, root, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
        # the plugin as it was at the start: editing the worktree during a run changes nothing
        support = shutil.copytree(support_dir(), Path(tmp) / "support")
        table = modes(results, support)
        chosen = [m for m in table if (m in args.only if args.only else m != "builtin")]
        got: dict[str, list[tuple[float, float]]] = {m: [] for m in chosen}
        for r in range(args.rounds):
            for mode in chosen:
                extra, env = table[mode]
                l0 = load()
                wall, cpu, _rss, size = run(python, root, results, extra, env, args.paths)
                got[mode].append((wall, cpu))
                print(
                    f"round {r + 1} {mode:8} wall {wall:7.1f} s  cpu {cpu:7.1f} s  "
                    f"results {size / 1e6:6.1f} MB  load {l0} -> {load()}",
                    flush=True,
                )
        base = got.get("bare")
        for mode in chosen:
            wall = sum(w for w, _ in got[mode]) / len(got[mode])
            cpu = sum(c for _, c in got[mode]) / len(got[mode])
            ratio = ""
            if base:
                bw = sum(w for w, _ in base) / len(base)
                bc = sum(c for _, c in base) / len(base)
                ratio = f"  wall x{wall / bw:.2f}  cpu x{cpu / bc:.2f}"
            print(f"mean {mode:8} wall {wall:7.1f} s  cpu {cpu:7.1f} s{ratio}")


if __name__ == "__main__":
    main()
