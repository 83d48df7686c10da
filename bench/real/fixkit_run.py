#!/usr/bin/env python3
"""treefix against FixKit's GenProg and Kali on the same bugs, in the same run, same budget.

    python bench/real/fixkit_run.py --run NAME [--sample 40 --seed 0] [--kind program]
        [--only id,id] [--limit N] [--time-limit 60] [--tools treefix,genprog,kali]
        [--fixkit-python bench/.work/fixkit-venv/bin/python] [--fixkit-cmd "..."]

Per bug (selected as run.py selects), the tools run one after another, each on a fresh copy of
the buggy snapshot with the same wall-clock budget and the bug's own test selection (the
positional arguments of its test command), so machine load stays alike across tools. Every
tool's patch is judged by run.py's scorer: applied to another fresh copy, the bug's tests rerun
(plausible: all pass, no test file edited), AST-equal to the developer's fix. Rows go to
results/<run>.jsonl with a `tool` field (a (bug, tool) pair already there is not rerun); a
per-tool summary and the bugs one tool fixes and another does not are printed as Markdown.

FixKit (`pip install fixkit` 0.0.1) lives in its own venv (see RESULTS.md "FixKit comparison"
for the setup); fixkit_driver.py runs there, with fixkit_shim.py for its sflkit dependency.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import run
import testrun
from corpus import RESULTS, VALIDATED, WORK, Built
from validate import copy_version

HERE = Path(__file__).resolve().parent
FIXKIT_PYTHON = HERE.parent / ".work" / "fixkit-venv" / "bin" / "python"
FIXKIT_TOOLS = ("genprog", "kali")
OVERLAY = HERE.parent / ".work" / "fixkit-overlay"  # py<ver>/: FixKit's test plugins per Python


def project_bin(built: Built, tmp: Path) -> Path:
    """A bin folder whose `python` and `coverage` are the bug's own env interpreter, with the
    pytest plugins FixKit's test runs need (pytest-json-report, pytest-cov) from an overlay
    installed with that interpreter's pip (`pip install --target`), the env itself untouched."""
    overlay = OVERLAY / f"py{built.bug.python}"
    if not overlay.is_dir():
        raise SystemExit(
            f"error: no FixKit overlay for Python {built.bug.python} at {overlay} "
            f"({built.env}/bin/python -m pip install --no-deps --target {overlay} "
            "pytest-json-report==1.5.0 pytest-metadata==1.11.0 pytest-cov==2.10.1 coverage==5.5)"
        )
    out = tmp / "bin"
    out.mkdir()
    interp = Path(built.env) / "bin" / "python"
    head = f"#!/bin/sh\nPYTHONPATH={shlex.quote(str(overlay))}${{PYTHONPATH:+:$PYTHONPATH}} exec {interp}"
    for name, tail in (("python", ""), ("coverage", " -m coverage")):
        (out / name).write_text(f'{head}{tail} "$@"\n')
        (out / name).chmod(0o755)
    return out


def test_paths(test_cmd: str) -> list[str]:
    """The test files/ids a `... -m pytest [options] PATHS` command runs (options dropped)."""
    argv = shlex.split(test_cmd)
    if "pytest" in argv:
        argv = argv[argv.index("pytest") + 1 :]
    out, skip_value = [], False
    for arg in argv:
        if skip_value:
            skip_value = False
        elif arg in ("-k", "-m", "-p", "-c", "-o", "--rootdir", "--deselect", "--ignore"):
            skip_value = True
        elif not arg.startswith("-"):
            out.append(arg)
    return out or ["tests"]


def fixkit_row(built: Built, tool: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run FixKit's `tool` on a fresh copy through fixkit_driver.py and score its patch."""
    row: dict[str, Any] = {"tool": tool}
    with tempfile.TemporaryDirectory(prefix=f"tfx-{tool}-") as tmp:
        repo = copy_version(built, Path(tmp), fixed=False)
        argv = [*shlex.split(args.fixkit_cmd), "--tool", tool, "--src", str(repo)]
        argv += [a for t in test_paths(built.test_cmd) for a in ("--tests", t)]
        argv += ["--time-limit", str(args.time_limit), "--out", str(Path(tmp) / "fixkit-out")]
        argv += ["--workers", str(args.fixkit_workers)]
        env = dict(os.environ)
        # FixKit runs `python -m pytest` and `coverage` from PATH: its own venv's, or (--fixkit-env
        # project) the bug's env interpreter with FixKit's plugins beside it
        bins = [str(Path(argv[0]).parent)]
        if args.fixkit_env == "project":
            bins.insert(0, str(project_bin(built, Path(tmp))))
        env["PATH"] = os.pathsep.join([*bins, env.get("PATH", "")])
        proc = testrun.run(argv, Path(tmp), timeout=args.time_limit * 3 + 120, env=env)
    row["wall"] = round(proc.duration, 2)
    result = _last_json(proc.stdout)
    if result is None:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        status = "killed" if proc.timed_out else "error"
        return {**row, "status": status, "message": tail[:300], "plausible": False}
    row.update(
        status=result.get("status"),
        message=(result.get("message") or "")[:300],
        evaluations=result.get("evaluations"),
        evals_to_first_fix=result.get("evals_to_first_fix"),
        time_to_first_fix=result.get("time_to_first_fix"),
        localized=result.get("suspicious"),
        localize_s=result.get("localize_s"),
        fixed_by_treefix=bool(result.get("patch")),  # "the tool said fixed", report.py's column
        patch=result.get("patch") or "",
    )
    if row["patch"]:
        row.update(run.check_patch(built, row["patch"], timeout=600))
    else:
        row["plausible"] = False
    return row


def _last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def one_tool(built: Built, tool: str, args: argparse.Namespace) -> dict[str, Any]:
    if tool == "treefix":
        row = {**run.score_bug(built, args), "tool": "treefix"}
    else:
        row = fixkit_row(built, tool, args)
    bug = built.bug
    return {"id": bug.id, "kind": bug.kind, "source": bug.source, **row}


def summary(rows: list[dict[str, Any]], tools: list[str]) -> str:
    """Per-tool table and, for each pair, the bugs one makes plausible and the other does not,
    over the bugs every tool has run."""
    lines = [
        "| tool | bugs | plausible | AST-equal | said fixed | median s to plausible fix "
        "| median evals | median evals to fix |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_tool = {t: {r["id"]: r for r in rows if r.get("tool") == t} for t in tools}
    # only bugs every tool has run (a run stopped between tools leaves a bug half done)
    common = set.intersection(*(set(b) for b in by_tool.values())) if by_tool else set()
    by_tool = {t: {i: r for i, r in got.items() if i in common} for t, got in by_tool.items()}
    for tool in tools:
        got = list(by_tool[tool].values())
        ok = [r for r in got if r.get("plausible")]
        times = [r["time_to_first_fix"] for r in ok if r.get("time_to_first_fix") is not None]
        evals = [r["evaluations"] for r in got if isinstance(r.get("evaluations"), int)]
        first = [r["evals_to_first_fix"] for r in ok if r.get("evals_to_first_fix") is not None]
        cells = [
            tool,
            str(len(got)),
            _pct(len(ok), len(got)),
            _pct(sum(bool(r.get("ast_equal")) for r in ok), len(got)),
            _pct(sum(bool(r.get("fixed_by_treefix")) for r in got), len(got)),
            _med(times),
            _med(evals),
            _med(first),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    for i, a in enumerate(tools):
        for b in tools[i + 1 :]:
            common = sorted(set(by_tool[a]) & set(by_tool[b]))
            only_a = [
                i
                for i in common
                if by_tool[a][i].get("plausible") and not by_tool[b][i].get("plausible")
            ]
            only_b = [
                i
                for i in common
                if by_tool[b][i].get("plausible") and not by_tool[a][i].get("plausible")
            ]
            lines += [
                "",
                f"- plausible by {a}, not by {b} ({len(only_a)}): {', '.join(only_a) or '-'}",
            ]
            lines += [f"- plausible by {b}, not by {a} ({len(only_b)}): {', '.join(only_b) or '-'}"]
    return "\n".join(lines) + "\n"


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f}%)" if d else "-"


def _med(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="fixkit", help="results/<run>.jsonl")
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--validated", type=Path, default=VALIDATED)
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--only", default="")
    ap.add_argument("--kind", choices=["program", "repo"])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--tools", default="treefix,genprog,kali")
    ap.add_argument("--treefix-cmd", default=f"{shlex.quote(sys.executable)} -m treefix")
    ap.add_argument("--sandbox", default="local")
    ap.add_argument("--extra-args", default="", help="treefix's extra flags")
    ap.add_argument("--fixkit-python", type=Path, default=FIXKIT_PYTHON)
    ap.add_argument("--fixkit-cmd", default="", help="default: FIXKIT_PYTHON fixkit_driver.py")
    # treefix's default executor uses one worker per core (at most 4): FixKit gets as many
    ap.add_argument("--fixkit-workers", type=int, default=min(4, os.cpu_count() or 1))
    ap.add_argument(
        "--fixkit-env",
        choices=["fixkit", "project"],
        default="fixkit",
        help="interpreter FixKit runs the tests with: its venv's, or the bug's env (+ overlay)",
    )
    ap.add_argument("--summary-only", action="store_true", help="print the tables, run nothing")
    args = ap.parse_args()
    args.keep_runs = None
    tools = [t for t in args.tools.split(",") if t]
    unknown = [t for t in tools if t not in ("treefix", *FIXKIT_TOOLS)]
    if unknown:
        print(f"error: unknown tool(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    if not args.fixkit_cmd:
        if any(t in FIXKIT_TOOLS for t in tools) and not args.fixkit_python.is_file():
            print(
                f"error: no FixKit venv at {args.fixkit_python} (python3 -m venv "
                "bench/.work/fixkit-venv && bench/.work/fixkit-venv/bin/pip install fixkit==0.0.1)",
                file=sys.stderr,
            )
            return 2
        args.fixkit_cmd = (
            f"{shlex.quote(str(args.fixkit_python))} {shlex.quote(str(HERE / 'fixkit_driver.py'))}"
        )
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"{args.run}.jsonl"
    rows = [json.loads(line) for line in out.read_text().splitlines()] if out.is_file() else []
    if not args.summary_only:
        done = {(r["id"], r.get("tool")) for r in rows}
        bugs = run.select(args)
        todo = sum((b.bug.id, t) not in done for b in bugs for t in tools)
        print(f"{len(bugs)} bug(s), {todo} tool run(s) to do -> {out}", file=sys.stderr)
        started = time.time()
        for built in bugs:
            for tool in tools:  # interleaved per bug: every tool sees the same machine load
                if (built.bug.id, tool) in done:
                    continue
                row = one_tool(built, tool, args)
                with out.open("a") as fh:
                    fh.write(json.dumps(row, sort_keys=True) + "\n")
                rows.append(row)
                print(
                    f"{built.bug.id} {tool}: {row.get('status')} plausible={row['plausible']} "
                    f"ast={row.get('ast_equal')} {row['wall']}s",
                    file=sys.stderr,
                    flush=True,
                )
        print(f"done in {time.time() - started:.0f}s", file=sys.stderr)
    selected = {b.bug.id for b in run.select(args)}
    print(summary([r for r in rows if r["id"] in selected], tools), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
