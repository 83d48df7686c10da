"""Warm vs cold candidate runs in the local or the Docker sandbox (issue 13, item 1).

    .venv/bin/python bench/warm.py [--sandbox local|docker] [--cases N] [--reps K] [--out FILE]

Per corpus case (plus a tiny project whose tests import sympy): a baseline per runner, then K
evaluations of the reference fix on the baseline's failing tests with each runner, interleaved
(cold, warm, cold, warm...), in the same sandbox. The physical limit is the same pytest.main (same
arguments, treefix's plugin, JUnit file) in a forked child of an interpreter that already imported
pytest and the baseline's third-party modules, outside any sandbox: the focused tests' own run
time inside an already-running interpreter. Reported: median warm eval / physical (target <= 1.5),
evaluations per second warm vs cold on the corpus (target >= 2x) and on the heavy project (>= 4x).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

from treefix.sandbox.local import LocalSandbox, support_dir
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.workspace.snapshot import snapshot

SELF, CHILDREN = resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN
BENCH = Path(__file__).resolve().parent
CASES = tomllib.loads((BENCH / "cases.toml").read_text())["cases"]

HEAVY = {
    "requirements.txt": "sympy\n",  # what the Docker sandbox's image installs
    "algebra/__init__.py": "",
    "algebra/expand.py": """\
        import sympy

        def expand_square(a, b):
            x, y = sympy.symbols(a + " " + b)
            return sympy.expand((x - y) ** 2)
        """,
    "tests/test_expand.py": """\
        import sympy

        from algebra.expand import expand_square

        def test_square():
            x, y = sympy.symbols("x y")
            assert expand_square("x", "y") == x**2 + 2*x*y + y**2

        def test_symbols():
            assert str(expand_square("a", "b").free_symbols) in ("{a, b}", "{b, a}")
        """,
}
HEAVY_FIX = {"algebra/expand.py": HEAVY["algebra/expand.py"].replace("x - y", "x + y")}

# fork pytest.main in an interpreter that imported pytest and the preload list
PHYSICAL = """\
import importlib, json, os, sys, time
args, n, mods = json.loads(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
for m in mods:
    try:
        importlib.import_module(m)
    except BaseException:
        pass
import gc
import pytest
gc.collect()
gc.freeze()  # as the warm server does: the bar is the best an in-process fork can do
times = []
for _ in range(n):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        sys.modules.pop("treefix_pytest", None)
        t, c = time.perf_counter(), time.process_time()
        pytest.main(args)
        os.write(w, json.dumps([time.perf_counter() - t, time.process_time() - c]).encode())
        os._exit(0)
    os.close(w)
    data = os.read(r, 200)
    os.close(r)
    os.waitpid(pid, 0)
    times.append(json.loads(data))
print(json.dumps(times))
"""


def fixed_files(case: Path, patch: Path, tmp: Path) -> dict[str, bytes]:
    fixed = tmp / "fixed"
    shutil.copytree(case, fixed)
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp))
    subprocess.run(["git", "apply", str(patch)], cwd=fixed, env=env, check=True)
    return {
        p.relative_to(fixed).as_posix(): p.read_bytes()
        for p in fixed.rglob("*.py")
        if p.read_bytes() != (case / p.relative_to(fixed)).read_bytes()
    }


def physical(root: Path, fixed: dict[str, bytes], runner: TestRunner, tests) -> tuple[float, float]:
    """(wall, CPU) seconds of the focused pytest.main in a forked, preloaded interpreter."""
    with tempfile.TemporaryDirectory(prefix="treefix-phys-") as tmp:
        work, results = Path(tmp) / "project", Path(tmp) / "results"
        shutil.copytree(root, work)
        results.mkdir()
        for name, data in fixed.items():
            (work / name).write_bytes(data)
        box = SimpleNamespace(results_dir=str(results))
        args = runner.argv(box, tests)[3:]  # type: ignore[arg-type]
        env = dict(
            os.environ,
            PYTHONPATH=support_dir(),
            TREEFIX_RESULTS=str(results),
            TREEFIX_TEST_TIMEOUT="10",
            PYTHONDONTWRITEBYTECODE="1",
        )
        out = subprocess.run(
            [sys.executable, "-c", PHYSICAL, json.dumps(args), "1"]
            + [json.dumps(runner._modules or [])],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        wall, cpu = json.loads(out.stdout.strip().splitlines()[-1])[0]
        return wall, cpu


def _cpu(who: int) -> float:
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


def open_box(kind: str, project):
    """A sandbox of `kind` and the interpreter the test command names inside it."""
    if kind == "local":
        return LocalSandbox(project), None
    from treefix.sandbox.docker import DockerSandbox
    from treefix.sandbox.docker_engine import client as docker_client
    from treefix.sandbox.image import build

    client = docker_client(timeout=600)
    image = build(project.root, client=client, log=lambda _: None)
    return DockerSandbox(project, image=image, run_id="warm-bench", client=client), "python3"


def measure(name: str, root: Path, fixed: dict[str, bytes], reps: int, kind: str) -> dict:
    project = snapshot(root)
    box, python = open_box(kind, project)
    # Docker: a cold run ends by killing every process of the candidate's uid in its container,
    # a warm server included, so the cold runs get a container of their own
    cold_box = box if kind == "local" else open_box(kind, project)[0]
    boxes = {"cold": cold_box, "warm": box}
    command = detect_test_command(project.root, None, python=python)
    cold, warm = TestRunner(command, mode="cold"), TestRunner(command, mode="warm")
    try:
        base = cold.run(cold_box, {}, timeout=120, per_test_timeout=10)
        warm.run(box, {}, timeout=120, per_test_timeout=10)
        if not warm.warm:
            raise SystemExit(f"{name}: the warm runner did not serve: {warm.harness.runner}")
        ready = warm._server(box).ready
        server_mib = ready.rss_kb / 1024 if ready is not None else 0.0
        tests = sorted(k for k, t in base.tests.items() if t.outcome != "passed")
        times: dict[str, list[float]] = {k: [] for k in ("cold", "warm", "phys")}
        cpu: dict[str, list[float]] = {k: [] for k in ("cold", "warm", "phys")}
        for _ in range(reps):  # interleaved: the machine's load hits all three alike
            for label, runner in (("cold", cold), ("warm", warm)):
                start, me, kids = time.perf_counter(), _cpu(SELF), _cpu(CHILDREN)
                rep = runner.run(boxes[label], fixed, tests, timeout=120, per_test_timeout=10)
                times[label].append(time.perf_counter() - start)
                used = _cpu(SELF) - me + _cpu(CHILDREN) - kids
                if label == "warm":  # the server's child is reaped by the server, not by us
                    used += runner._server(box).last.cpu  # type: ignore[union-attr]
                cpu[label].append(used)
                assert rep.status == "passed", (name, label, rep.status, rep.output[-2000:])
            wall, used = physical(root, fixed, warm, tests)
            times["phys"].append(wall)
            cpu["phys"].append(used)
    finally:
        warm.close()
        box.close()
        if cold_box is not box:
            cold_box.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    cmed = {k: statistics.median(v) for k, v in cpu.items()}
    return {
        "case": name,
        "tests": len(tests),
        "server_mib": server_mib,
        "cold": med["cold"],
        "warm": med["warm"],
        "physical": med["phys"],
        "cold_cpu": cmed["cold"],
        "warm_cpu": cmed["warm"],
        "physical_cpu": cmed["phys"],
        "cold_total": sum(times["cold"]),
        "warm_total": sum(times["warm"]),
        "evals": reps,
        "ratio_physical": med["warm"] / med["phys"],
        "ratio_physical_cpu": cmed["warm"] / cmed["phys"],
        "speedup": med["cold"] / med["warm"],
        "speedup_cpu": cmed["cold"] / cmed["warm"],
    }


def table(rows: list[dict]) -> list[str]:
    out = [
        "| case | focused tests | cold s/eval | warm s/eval | physical s | warm / physical "
        "| cold / warm | CPU s cold / warm / physical | CPU warm / physical | CPU cold / warm "
        "| server MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['case']} | {r['tests']} | {r['cold']:.3f} | {r['warm']:.3f} | "
            f"{r['physical']:.3f} | {r['ratio_physical']:.2f} | {r['speedup']:.2f} | "
            f"{r['cold_cpu']:.3f} / {r['warm_cpu']:.3f} / {r['physical_cpu']:.3f} | "
            f"{r['ratio_physical_cpu']:.2f} | {r['speedup_cpu']:.2f} | {r['server_mib']:.0f} |"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=0, help="first N corpus cases (0: all)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sandbox", choices=("local", "docker"), default="local")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    suffix = "" if args.sandbox == "local" else f"-{args.sandbox}"
    args.out = args.out or str(BENCH / "results" / f"warm{suffix}.md")
    names = sorted(CASES)[: args.cases or None]
    rows, heavy = [], []
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="treefix-warm-bench-") as tmp:
        for i, cid in enumerate(names):
            case_tmp = Path(tmp) / cid
            case = case_tmp / "case"
            shutil.copytree(BENCH / "corpus" / cid, case)
            fixed = fixed_files(case, BENCH / "fixes" / f"{cid}.patch", case_tmp)
            rows.append(measure(cid, case, fixed, args.reps, args.sandbox))
            r = rows[-1]
            print(
                f"[{i + 1}/{len(names)}] {cid}: cold {r['cold']:.3f}s warm {r['warm']:.3f}s "
                f"physical {r['physical']:.3f}s; CPU {r['cold_cpu']:.3f} / {r['warm_cpu']:.3f}"
                f" / {r['physical_cpu']:.3f}",
                file=sys.stderr,
            )
        root = Path(tmp) / "heavy_sympy"
        for name, text in HEAVY.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(textwrap.dedent(text))
        fixed = {k: textwrap.dedent(v).encode() for k, v in HEAVY_FIX.items()}
        heavy.append(
            measure("heavy_sympy (tests import sympy)", root, fixed, args.reps, args.sandbox)
        )
        heavy_python = [sys.executable]
        if args.sandbox == "docker":
            from treefix.sandbox.image import image_tag

            heavy_python = ["docker", "run", "--rm", "--network=none", image_tag(root), "python3"]
    import_s = _import_time(heavy_python, "sympy")
    corpus_speed = sum(r["cold_total"] for r in rows) / sum(r["warm_total"] for r in rows)
    lines = [
        f"# Warm runner vs cold runs ({args.sandbox} sandbox)",
        "",
        f"- date: {started}",
        f"- machine: nproc={os.cpu_count()}, {platform.machine()}, Python {platform.python_version()}",
        f"- command: `python bench/warm.py --sandbox {args.sandbox} --reps {args.reps}`"
        + (f" --cases {args.cases}" if args.cases else ""),
        f"- {args.reps} evaluations of the reference fix per runner and case, interleaved, same "
        "sandbox; physical = the same pytest.main forked from a preloaded interpreter, no sandbox",
        "",
        "## Summary",
        "",
        f"- load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(other jobs share the machine): wall times are inflated alike for all three; CPU "
        "seconds (the run's whole process tree) are the steadier figure",
        f"- corpus ({len(rows)} cases): median warm / physical = "
        f"{statistics.median(r['ratio_physical'] for r in rows):.2f}x wall, "
        f"{statistics.median(r['ratio_physical_cpu'] for r in rows):.2f}x CPU (target <= 1.5x)",
        f"- corpus evaluations per second: cold {len(rows) * args.reps / sum(r['cold_total'] for r in rows):.2f}, "
        f"warm {len(rows) * args.reps / sum(r['warm_total'] for r in rows):.2f} = {corpus_speed:.2f}x "
        f"(target >= 2x); per-case median {statistics.median(r['speedup'] for r in rows):.2f}x wall, "
        f"{statistics.median(r['speedup_cpu'] for r in rows):.2f}x CPU",
        f"- heavy imports (sympy; `import sympy` takes {import_s:.2f} s in a running interpreter): "
        f"{heavy[0]['speedup']:.2f}x the evaluations per second wall, "
        f"{heavy[0]['speedup_cpu']:.2f}x CPU (target >= 4x); warm / physical "
        f"{heavy[0]['ratio_physical']:.2f}x wall, {heavy[0]['ratio_physical_cpu']:.2f}x CPU",
        f"- memory per warm server (resident, after preloading): corpus median "
        f"{statistics.median(r['server_mib'] for r in rows):.0f} MiB, heavy project "
        f"{heavy[0]['server_mib']:.0f} MiB",
        "",
        *(
            [
                "- Docker: the candidate's processes run in the container (children of the "
                "engine, not of this script), so cold CPU seconds are not seen here: compare wall "
                "times; warm CPU is the child's own, as the server measured it",
                "",
            ]
            if args.sandbox == "docker"
            else []
        ),
        "## Per case",
        "",
        *table(rows + heavy),
        "",
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines))
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows + heavy, indent=1))
    print("\n".join(lines))


def _import_time(python: list[str], module: str) -> float:
    """Seconds `import module` takes inside a running interpreter (median of 3)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = []
    for _ in range(3):
        out = subprocess.run([*python, "-c", code], check=True, capture_output=True, text=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


if __name__ == "__main__":
    main()
