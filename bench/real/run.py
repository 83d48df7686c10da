#!/usr/bin/env python3
"""Score treefix on the validated corpus: one `treefix repair --json` per bug, results as JSONL.

    python bench/real/run.py [--run NAME] [--jobs 1] [--only id,id] [--kind program|repo]
                             [--limit N] [--sample N --seed S] [--time-limit 60]
                             [--treefix-cmd "python -m treefix"] [--extra-args "..."]
                             [--keep-runs DIR] [--md RESULTS.md]

Each bug's snapshot is copied to a temp folder and repaired with
`treefix repair <copy> --json --time-limit 60 --sandbox local --test-cmd <bug's command>`
(default flags otherwise; `--sandbox local` because the bugs' envs are host virtualenvs). Its patch is then applied to another fresh copy and the bug's tests rerun there, so
plausibility is measured here, not taken from treefix's word. Results are appended to
results/<run>.jsonl (a bug already there is not rerun: the run resumes) and RESULTS.md is rewritten.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import report
import score
import testrun
from corpus import RESULTS, VALIDATED, WORK, Built, built_bugs
from validate import copy_version

from treefix.report.reader import read_report


def check_patch(built: Built, patch: str, timeout: float) -> dict[str, Any]:
    """Apply treefix's patch to a fresh copy and judge it with the bug's own tests."""
    out: dict[str, Any] = {"tests_touched": score.touches_tests(patch)}
    with tempfile.TemporaryDirectory(prefix="tfx-score-") as tmp:
        repo = copy_version(built, Path(tmp), fixed=False)
        err = score.apply_patch(repo, patch)
        if err:
            return {**out, "plausible": False, "why": f"patch does not apply: {err}"}
        res = testrun.run_tests(built.test_cmd, repo, timeout)
        bad = sorted(res.bad())
        out["ast_equal"] = score.ast_equal_to_fix(repo, built.fix, built.bug.changed_files, patch)
    if res.timed_out or not res.tests:
        return {**out, "plausible": False, "why": "tests time out or give no results on the patch"}
    if bad:
        return {**out, "plausible": False, "why": f"{len(bad)} test(s) still fail: {bad[:3]}"}
    if out["tests_touched"]:
        return {**out, "plausible": False, "why": "the patch edits test files"}
    return {**out, "plausible": True, "why": ""}


def score_bug(built: Built, args: argparse.Namespace) -> dict[str, Any]:
    bug = built.bug
    row: dict[str, Any] = {"id": bug.id, "kind": bug.kind, "source": bug.source}
    dev = score.developer_lines(built.repo, built.fix, bug.changed_files)
    row["dev_lines"] = {p: sorted(v) for p, v in dev.items()}
    with tempfile.TemporaryDirectory(prefix="tfx-repair-") as tmp:
        repo = copy_version(built, Path(tmp), fixed=False)
        argv = [
            *shlex.split(args.treefix_cmd),
            "repair",
            str(repo),
            "--json",
            "--time-limit",
            str(args.time_limit),
            "--test-cmd",
            built.test_cmd,
            "--sandbox",
            args.sandbox,
            *shlex.split(args.extra_args),
        ]
        proc = testrun.run(argv, repo, timeout=args.time_limit * 3 + 120)
        if args.keep_runs:
            # the run folder (trajectory, report) lives in the temp copy: keep it for diagnosis
            runs = repo / ".treefix" / "runs"
            if runs.is_dir():
                shutil.copytree(runs, args.keep_runs / bug.id, dirs_exist_ok=True)
    rep = read_report(proc.stdout)
    row["wall"] = round(proc.duration, 2)
    row["exit_code"] = proc.returncode
    if rep is None:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        row.update(status="killed" if proc.timed_out else "error", message=tail[:300])
        return {**row, "plausible": False, "fixed_by_treefix": False}
    search = rep.get("search") or {}
    fix = rep.get("fix") or {}
    row.update(
        status=rep.get("status"),
        message=(rep.get("message") or "")[:300],
        stop_reason=search.get("stop_reason"),
        evaluations=search.get("evaluations"),
        evals_to_first_fix=search.get("evals_to_first_fix"),
        time_to_first_fix=search.get("time_to_first_fix"),
        targets=len(rep.get("targets") or []),
        baseline=_baseline(rep),
        localized=len(rep.get("localization") or []),
        localization=[[e.get("path"), e.get("line")] for e in rep.get("localization") or []],
        fl_rank=score.fl_rank(rep.get("localization") or [], dev, repo),
        fl_rank_stmt=score.fl_rank_statement(
            rep.get("localization") or [], dev, repo, built.repo
        ),
        edits=[
            f"{e.get('operator')} @ {e.get('path')}:{e.get('line')}" for e in fix.get("edits", [])
        ],
        fixed_by_treefix=bool(fix.get("patch")),
        patch=fix.get("patch") or "",
    )
    if row["patch"]:
        row.update(check_patch(built, row["patch"], timeout=600))
    else:
        row["plausible"] = False
    return row


def _baseline(rep: dict[str, Any]) -> dict[str, Any] | None:
    base = rep.get("baseline")
    if not isinstance(base, dict):
        return None
    failing = base.get("failing") or []
    return {
        "status": base.get("status"),
        "tests": base.get("tests"),
        "failing": [f.get("id") for f in failing[:5] if isinstance(f, dict)],
    }


def command_line(argv: list[str]) -> str:
    """argv without the --note texts (RESULTS.md lists them below the command)."""
    out, skip = [], False
    for arg in argv:
        if skip or arg == "--note":
            skip = arg == "--note"
            continue
        out.append(shlex.quote(arg))
    return " ".join(out)


def select(args: argparse.Namespace) -> list[Built]:
    ok = {
        v["id"]
        for v in json.loads(Path(args.validated).read_text())["bugs"]
        if v["outcome"] == "ok"
    }
    only = set(filter(None, args.only.split(",")))
    bugs = [
        b
        for b in built_bugs(args.work)
        if b.bug.id in ok
        and (not only or b.bug.id in only)
        and (not args.kind or b.bug.kind == args.kind)
    ]
    if args.sample:
        rng = random.Random(args.seed)
        # random order kept: a run stopped early has still scored a uniform random subset
        bugs = rng.sample(bugs, min(args.sample, len(bugs)))
    return bugs[: args.limit] if args.limit else bugs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="default", help="results/<run>.jsonl")
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--validated", type=Path, default=VALIDATED)
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--only", default="")
    ap.add_argument("--kind", choices=["program", "repo"])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--treefix-cmd", default=f"{shlex.quote(sys.executable)} -m treefix")
    # The envs are host virtualenvs: a Docker sandbox (what `auto` picks when an engine answers)
    # cannot run their interpreter, so the local sandbox is the default here.
    ap.add_argument("--sandbox", default="local")
    ap.add_argument("--extra-args", default="")
    ap.add_argument("--keep-runs", type=Path, help="copy each bug's run folder to DIR/<id>/")
    ap.add_argument("--note", action="append", default=[], help="a line for RESULTS.md")
    ap.add_argument("--report-runs", default="", help="runs RESULTS.md covers (default: --run)")
    ap.add_argument("--md", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md")
    args = ap.parse_args()
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"{args.run}.jsonl"
    done = (
        {json.loads(line)["id"] for line in out.read_text().splitlines()}
        if out.is_file()
        else set()
    )
    todo = [b for b in select(args) if b.bug.id not in done]
    print(f"{len(todo)} bug(s) to run, {len(done)} already in {out}", file=sys.stderr)
    started = time.time()

    def one(built: Built) -> dict[str, Any]:
        row = score_bug(built, args)
        with out.open("a") as fh:
            fh.write(json.dumps(row, sort_keys=True) + "\n")
        print(
            f"{built.bug.id}: {row.get('status')} plausible={row['plausible']} "
            f"ast={row.get('ast_equal')} fl={row.get('fl_rank')} {row['wall']}s",
            file=sys.stderr,
            flush=True,
        )
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(one, todo))
    runs = [r for r in args.report_runs.split(",") if r] or [args.run]
    rows = []
    for name in runs:
        path = args.results / f"{name}.jsonl"
        rows += (
            [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []
        )
    args.md.write_text(
        report.markdown(rows, run=",".join(runs), command=command_line(sys.argv), notes=args.note)
    )
    print(f"{len(todo)} bug(s) in {time.time() - started:.0f}s; wrote {args.md}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
