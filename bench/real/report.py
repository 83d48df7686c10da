"""RESULTS.md from the scorer's rows: programs and real-repository bugs reported separately."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

GROUPS = (("programs", "program"), ("real-repository bugs", "repo"))
TOPS = (1, 3, 5, 10)



# the columns summary() fills, after the row's name (a group here, a run in compare.py)
SUMMARY_COLUMNS = [
    "bugs",
    "plausible",
    "AST-equal",
    "treefix said fixed",
    "median s to fix",
    "median wall s",
    "median evals",
    "median evals to fix",
    "FL top-1",
    "FL top-3",
    "FL top-5",
    "FL top-10",
    "not ranked",
    "FL stmt top-1",
    "FL stmt top-3",
    "FL stmt top-5",
    "FL stmt top-10",
]

def pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f}%)" if d else "-"


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "-"


def reason(row: dict[str, Any]) -> str:
    """Why a bug was not repaired, with numbers and paths masked so alike reasons group."""
    if row.get("plausible"):
        return ""
    tags = ""
    if row.get("status") in ("error", "killed"):
        text = f"treefix {row['status']}: {row.get('message', '')}"
    elif row.get("fixed_by_treefix"):
        text = f"patch not plausible: {row.get('why', '')}"
    else:
        text = f"{row.get('status')}: {row.get('message', '')}"
        if row.get("evaluations") == 0:
            tags += " [0 evaluations]"
        if not row.get("localized"):
            tags += " [empty localisation]"
    text = re.sub(r"/[\w./+-]+", "<path>", text)
    text = re.sub(r"\[[^\]]*'[^\]]*\]", "[...]", text)
    return (re.sub(r"\d+(\.\d+)?", "N", text) + tags)[:160]


def summary(rows: list[dict[str, Any]]) -> list[str]:
    n = len(rows)
    plausible = [r for r in rows if r.get("plausible")]
    ranks = [r.get("fl_rank") for r in rows]
    times = [r["time_to_first_fix"] for r in plausible if r.get("time_to_first_fix") is not None]
    evals = [r["evaluations"] for r in rows if isinstance(r.get("evaluations"), int)]
    first = [r["evals_to_first_fix"] for r in plausible if r.get("evals_to_first_fix") is not None]
    cells = [
        str(n),
        pct(len(plausible), n),
        pct(sum(bool(r.get("ast_equal")) and bool(r.get("plausible")) for r in rows), n),
        pct(sum(bool(r.get("fixed_by_treefix")) for r in rows), n),
        med(times),
        med([float(r["wall"]) for r in rows]),
        med([float(e) for e in evals]),
        med([float(e) for e in first]),
    ]
    cells += [pct(sum(1 for k in ranks if k is not None and k <= top), n) for top in TOPS]
    cells.append(pct(sum(k is None for k in ranks), n))
    # by statement (score.fl_rank_statement); rows scored before that column existed: "-"
    stmt = [r.get("fl_rank_stmt") for r in rows]
    scored = all("fl_rank_stmt" in r for r in rows)
    cells += [
        pct(sum(1 for k in stmt if k is not None and k <= top), n) if scored else "-"
        for top in TOPS
    ]
    return cells


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]


def per_bug(rows: list[dict[str, Any]]) -> list[str]:
    body = [
        [
            r["id"],
            str(r.get("status")),
            "yes" if r.get("plausible") else "no",
            "yes" if r.get("ast_equal") and r.get("plausible") else "no",
            str(r.get("fl_rank") or "-"),
            str(r.get("evaluations") if r.get("evaluations") is not None else "-"),
            f"{r['wall']:.0f}",
            "; ".join(r.get("edits") or [])[:80] or reason(r)[:80],
        ]
        for r in sorted(rows, key=lambda r: r["id"])
    ]
    return table(
        [
            "bug",
            "status",
            "plausible",
            "AST-equal",
            "FL rank",
            "evals",
            "wall s",
            "fix edits / why not",
        ],
        body,
    )


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    return done.stdout.strip() or "?"


def corpus_line() -> str:
    path = Path(__file__).resolve().parent / "validated.json"
    if not path.is_file():
        return ""
    data = json.loads(path.read_text())
    excluded = sum(v["outcome"] != "ok" for v in data["bugs"])
    return (
        f"Corpus: {data['validated']} validated bugs ({data['programs']} programs, "
        f"{data['repos']} from real repositories), {excluded} excluded "
        "(reasons in `validated.json`)."
    )


def markdown(rows: list[dict[str, Any]], run: str, command: str, notes: list[str] = ()) -> str:
    lines = [
        "# treefix on the real-bug development corpus",
        "",
        f"Run `{run}` of {dt.date.today().isoformat()}, treefix at `{commit()}`, "
        f"{os.cpu_count()} cores (shared with other jobs, so times are upper bounds). Command:",
        "",
        f"    {command}",
        "",
        "Plausible: treefix's patch, applied to a fresh copy, makes every test of the bug's "
        "selection pass and edits no test file (checked here, not taken from the report). "
        "AST-equal: plausible and every changed file equals the developer's fix by `ast.dump` "
        '(a lower bound of correctness; for programs the "developer" fix is the nearest correct '
        "submission). Time: treefix's time to its first fix. FL: rank of the first "
        "developer-changed line in the report's `localization` (at most 15 entries).",
        "",
        corpus_line(),
        "",
        *[f"- {n}" for n in notes],
        "",
    ]
    header = ["group", *SUMMARY_COLUMNS]
    body = []
    for title, kind in GROUPS:
        group = [r for r in rows if r.get("kind") == kind]
        if group:
            body.append([title, *summary(group)])
    body.append(["all", *summary(rows)])
    lines += table(header, body)
    for title, kind in GROUPS:
        group = [r for r in rows if r.get("kind") == kind]
        if not group:
            continue
        reasons = Counter(reason(r) for r in group if not r.get("plausible"))
        lines += ["", f"## Why {title} were not repaired", ""]
        lines += table(["count", "reason"], [[str(c), t] for t, c in reasons.most_common(15)])
        lines += ["", f"## {title[0].upper() + title[1:]}, bug by bug", ""]
        if kind == "program":
            lines += ["<details><summary>table</summary>", ""]
        lines += per_bug(group)
        if kind == "program":
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
