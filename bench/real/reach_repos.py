#!/usr/bin/env python3
"""Offline reach of the mutation proposer on the repository bugs of a run: is the developer's fix
(same `ast.dump` of every changed file) one candidate of the proposer, and at which place? No test
is run. Two focuses per bug: the run's own localisation (what the search had) and the developer's
lines (fault localisation at its best).

    python bench/real/reach_repos.py results/RUN.jsonl [--work bench/real/.work] [--only ids]

Prints one line per unfixed bug (tab-separated: id, FL rank, evaluations, place with the run's
localisation, place with perfect localisation, family) and a summary. The cause of an unfixed
bug whose developer line was ranked (causes.py's "search reach"): "search budget" when the fix is
a candidate under the run's localisation, "proposer reach" when it is not.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import causes  # noqa: E402
import score  # noqa: E402
from corpus import WORK  # noqa: E402

from treefix.propose.mutation import MutationProposer  # noqa: E402
from treefix.protocols import Feedback  # noqa: E402
from treefix.types import ProgramState, Suspicion  # noqa: E402


def place(
    repo: Path, fix: Path, files: list[str], focus: list[Suspicion]
) -> tuple[int | None, str]:
    """1-based place of the first candidate whose files all equal the developer's, or None."""
    paths = sorted({s.path for s in focus} | set(files))
    state = ProgramState({p: (repo / p).read_bytes() for p in paths if (repo / p).is_file()})
    want = {p: ast.dump(ast.parse((fix / p).read_text())) for p in files if (fix / p).is_file()}
    if not want:
        return None, ""
    cands = MutationProposer().propose(state, focus, Feedback(report=None))
    for i, c in enumerate(cands, 1):
        new = state.derive(c.edits)
        try:
            if all(ast.dump(ast.parse(new.read(p))) == d for p, d in want.items()):
                return i, c.operator
        except SyntaxError:
            continue
    return None, ""


def classify(row: dict[str, Any], run_place: int | None) -> str:
    """causes.py's root cause, its "search reach" split in two by the offline reach."""
    found = causes.cause(row)
    if found != "search reach":
        return found
    return "search budget" if run_place is not None else "proposer reach"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    rows = [json.loads(line) for line in args.run.read_text().splitlines() if line.strip()]
    counts: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        if row.get("kind") != "repo" or (only and row["id"] not in only):
            continue
        bug = args.work / "bugs" / row["id"]
        files = [p for p in row.get("dev_lines", {}) if (bug / "fix" / p).is_file()]
        loc = [Suspicion(p, ln, 0.9 - 0.01 * i) for i, (p, ln) in enumerate(row["localization"])]
        dev = score.developer_lines(bug / "repo", bug / "fix", files)
        best = [Suspicion(p, ln, 0.9) for p, lines in dev.items() for ln in sorted(lines)]
        run_place, family = place(bug / "repo", bug / "fix", files, loc) if loc else (None, "")
        best_place, best_family = place(bug / "repo", bug / "fix", files, best)
        cause = classify(row, run_place)
        counts[cause] = counts.get(cause, 0) + 1
        print(
            f"{row['id']}\tfl={row.get('fl_rank') or '-'}\tevals={row.get('evaluations')}"
            f"\trun-focus={run_place or '-'}\tperfect-focus={best_place or '-'}"
            f"\t{family or best_family}\t{cause}"
        )
    for cause, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"{cause}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
