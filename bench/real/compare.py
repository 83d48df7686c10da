"""A before/after table of two scorer runs on the same bugs (for a RESULTS.md section).

    python bench/real/compare.py --runs sample40-before,sample40-after [--results DIR]

Only bugs present in every run are compared; per run: the summary row of `report.summary`, the
stop reasons, then one line per bug (plausible, AST-equal, evaluations to the first fix).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402

HEADER = ["run", *report.SUMMARY_COLUMNS]


def load(path: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {r["id"]: r for r in rows}


def cell(r: dict) -> str:
    if not r.get("plausible"):
        return f"no ({r.get('stop_reason') or r.get('status')}, {r.get('evaluations')} evals)"
    eq = ", AST-equal" if r.get("ast_equal") else ""
    return f"yes{eq} ({r.get('evals_to_first_fix')} evals)"


def compare(runs: dict[str, dict[str, dict]]) -> list[str]:
    common = sorted(set.intersection(*(set(rows) for rows in runs.values())))
    body = [[name, *report.summary([rows[i] for i in common])] for name, rows in runs.items()]
    out = report.table(HEADER, body)
    out += ["", "Stop reasons of the bugs not repaired:", ""]
    for name, rows in runs.items():
        why = Counter(rows[i].get("stop_reason") or "-" for i in common if not rows[i]["plausible"])
        out.append(f"- {name}: " + ", ".join(f"{k} {v}" for k, v in why.most_common()))
    out += [
        "",
        *report.table(
            ["bug", *runs], [[i, *(cell(rows[i]) for rows in runs.values())] for i in common]
        ),
    ]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", required=True)
    ap.add_argument("--results", type=Path, default=HERE / "results")
    args = ap.parse_args()
    runs = {name: load(args.results / f"{name}.jsonl") for name in args.runs.split(",")}
    print("\n".join(compare(runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
