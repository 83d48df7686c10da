#!/usr/bin/env python3
"""Root causes of the repository bugs treefix did not repair, one run beside another.

    python bench/real/causes.py [--common] results/repos-before.jsonl results/repos-after.jsonl

Prints markdown: the summary row of each run (report.py's columns) and a table of root causes,
one bug counted once, in the order below (the first cause that applies).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import report

CAUSES = (
    ("plausible fix", "a plausible fix (tests pass on a fresh copy)"),
    ("fix not plausible", "treefix's fix fails the bug's tests on a fresh copy"),
    ("harness", "treefix's plugin cannot load or pytest stops with an internal error"),
    ("no localisation", "no suspicious line at all: nothing searched (exit 3)"),
    ("slow targets", "the baseline timed out (a target hit the per-test limit)"),
    ("FL miss", "no developer-changed line among the 15 ranked"),
    ("search reach", "developer line ranked, no fix within 60 s"),
    ("other", "anything else"),
)


def cause(row: dict[str, Any]) -> str:
    message = row.get("message") or ""
    if row.get("plausible"):
        return "plausible fix"
    if row.get("fixed_by_treefix"):
        return "fix not plausible"
    if "plugin could not run" in message or "internal error" in message:
        return "harness"
    if "no suspicious line" in message or (row.get("status") == "error" and not row.get("localized")):
        return "no localisation"
    if (row.get("baseline") or {}).get("status") == "timeout":
        return "slow targets"
    if row.get("status") == "no_fix" and row.get("fl_rank") is None:
        return "FL miss"
    if row.get("status") == "no_fix":
        return "search reach"
    return "other"


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> int:
    args = sys.argv[1:]
    common = "--common" in args  # only the bugs every run scored (a run still under way)
    runs = [Path(p) for p in args if p != "--common"]
    rows = {p.stem: load(p) for p in runs}
    if common:
        shared = set.intersection(*({r["id"] for r in rs} for rs in rows.values()))
        rows = {name: [r for r in rs if r["id"] in shared] for name, rs in rows.items()}
    header = ["run", *report.SUMMARY_COLUMNS]
    lines = report.table(header, [[name, *report.summary(r)] for name, r in rows.items()])
    counts = {name: Counter(cause(r) for r in rs) for name, rs in rows.items()}
    table = [
        [name, why, *(str(counts[run][name]) for run in rows)]
        for name, why in CAUSES
        if any(counts[run][name] for run in rows)
    ]
    lines += ["", *report.table(["root cause", "what it means", *rows], table)]
    changed = []
    by_id = [{r["id"]: cause(r) for r in rs} for rs in rows.values()]
    if len(by_id) == 2:
        for bug in sorted(by_id[0]):
            if bug in by_id[1] and by_id[0][bug] != by_id[1][bug]:
                changed.append(f"{bug}: {by_id[0][bug]} -> {by_id[1][bug]}")
    if changed:
        lines += ["", "Changed: " + "; ".join(changed) + "."]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
