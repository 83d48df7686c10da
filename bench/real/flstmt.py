"""Add the by-statement FL rank (`score.fl_rank_statement`) to scorer rows made before run.py
recorded it, and print FL top-k by exact line and by statement.

    python bench/real/flstmt.py results/A.jsonl [results/B.jsonl ...] [--work DIR] [--write]

Rows carry their `localization` ([path, line] pairs) and `dev_lines`; the buggy snapshot is read
from --work's bugs/<id>/repo. Without --write the files are left alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402
import score  # noqa: E402


def rescore(row: dict, work: Path) -> int | None:
    loc = [{"path": p, "line": n} for p, n in row.get("localization") or []]
    dev = {p: set(v) for p, v in (row.get("dev_lines") or {}).items()}
    repo = work / "bugs" / row["id"] / "repo"
    return score.fl_rank_statement(loc, dev, repo, repo)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path, nargs="+")
    ap.add_argument("--work", type=Path, default=HERE / ".work")
    ap.add_argument("--write", action="store_true", help="add fl_rank_stmt to the files' rows")
    args = ap.parse_args()
    header = ["run", "bugs", *(f"{k} top-{t}" for k in ("line", "stmt") for t in report.TOPS)]
    body = []
    for path in args.results:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        for row in rows:
            row["fl_rank_stmt"] = rescore(row, args.work)
        if args.write:
            path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
        n = len(rows)
        cells = [path.stem, str(n)]
        for key in ("fl_rank", "fl_rank_stmt"):
            ranks = [r.get(key) for r in rows]
            cells += [report.pct(sum(1 for k in ranks if k and k <= t), n) for t in report.TOPS]
        body.append(cells)
    print("\n".join(report.table(header, body)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
