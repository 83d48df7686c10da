"""Re-localise a corpus offline from recorded localiser inputs (fl_input.py), with this checkout's
localiser, and score it by exact line and by statement (score.py).

    python bench/real/fl_offline.py DIR [--work WORK] [--show]
    python bench/real/fl_offline.py DIR --fixes bench/fixes    # the 44-case corpus

DIR holds <bug id>/fl-input.pickle (run.py --keep-runs DIR with fl_input.py as treefix). The
report's localisation is the first 15 statements, so ranks beyond 15 count as not ranked, as in
run.py. --show prints each bug's ranks and its top 5. With --fixes, a case's developer lines are
those `FIXES/<id>.patch` changes in the recorded sources (the 44-case corpus has no built bugs).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402
import score  # noqa: E402
from corpus import Built  # noqa: E402

REPORTED = 15  # pipeline/summary.py: the report lists the first 15
# bug-id prefix -> row: luigi and fastapi to develop on, cookiecutter + httpie as a check
GROUPS = {"luigi": "luigi", "fastapi": "fastapi", "cookiecutter": "check", "httpie": "check"}


def group_of(bug_id: str) -> str:
    if "-" not in bug_id:
        return "case"  # the 44-case corpus: one row
    project = bug_id.rsplit("-", 1)[0]
    return GROUPS.get(project, "program" if bug_id.startswith("refactory") else project)


def rows(ranks: dict[str, tuple[int | None, int | None]]) -> list[list[str]]:
    """The total, then one row per group when there is more than one group."""
    groups: dict[str, list[tuple[int | None, int | None]]] = {"all": list(ranks.values())}
    for bug_id, r in sorted(ranks.items()):
        groups.setdefault(group_of(bug_id), []).append(r)
    if len(groups) == 2:
        del groups[next(g for g in groups if g != "all")]
    out = []
    for name, got in groups.items():
        cells = [name, str(len(got))]
        for k in (0, 1):
            cells += [
                report.pct(sum(1 for r in got if r[k] and r[k] <= t), len(got)) for t in report.TOPS
            ]
        out.append(cells)
    return out


def patched_lines(sources: dict[str, bytes], patch: str) -> dict[str, set[int]]:
    """The recorded sources' lines that `patch` changes, by applying it to a copy of them."""
    with tempfile.TemporaryDirectory() as tmp:
        buggy, fixed = Path(tmp, "buggy"), Path(tmp, "fixed")
        for root in (buggy, fixed):
            for path, data in sources.items():
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_bytes(bytes(data))
        failed = score.apply_patch(fixed, patch)
        if failed:
            raise SystemExit(f"fl_offline: the patch does not apply: {failed}")
        return score.developer_lines(buggy, fixed, score.patch_paths(patch))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--work", type=Path, default=HERE / ".work")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--json", type=Path, help="write per-bug ranks here")
    ap.add_argument("--fixes", type=Path, help="score against FIXES/<id>.patch, not built bugs")
    args = ap.parse_args()
    from treefix.localize.ranker import localize
    from treefix.types import ProgramState

    ranks: dict[str, tuple[int | None, int | None]] = {}
    for pickled in sorted(args.dir.glob("*/fl-input.pickle")):
        bug_id = pickled.parent.name
        data = pickle.loads(pickled.read_bytes())
        found = localize(ProgramState(data["sources"]), data["base"], data["targets"])
        loc = [{"path": s.path, "line": s.line} for s in found[:REPORTED]]
        if args.fixes is not None:
            dev = patched_lines(data["sources"], (args.fixes / f"{bug_id}.patch").read_text())
            with tempfile.TemporaryDirectory() as tmp:
                for path, source in data["sources"].items():
                    (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
                    (Path(tmp) / path).write_bytes(bytes(source))
                ranks[bug_id] = (
                    score.fl_rank(loc, dev, Path(tmp)),
                    score.fl_rank_statement(loc, dev, Path(tmp), Path(tmp)),
                )
        else:
            built = Built.load(args.work / "bugs" / bug_id)
            dev = score.developer_lines(built.repo, built.fix, built.bug.changed_files)
            ranks[bug_id] = (
                score.fl_rank(loc, dev, built.repo),
                score.fl_rank_statement(loc, dev, built.repo, built.repo),
            )
        if args.show:
            top = ", ".join(f"{e['path']}:{e['line']}" for e in loc[:5])
            devs = "; ".join(f"{p}:{sorted(v)[:6]}" for p, v in dev.items())
            print(f"{bug_id}: line {ranks[bug_id][0]} stmt {ranks[bug_id][1]} | dev {devs} | {top}")
    header = ["group", "bugs", *(f"{k} top-{t}" for k in ("line", "stmt") for t in report.TOPS)]
    print("\n".join(report.table(header, rows(ranks))))
    if args.json:
        args.json.write_text(json.dumps(ranks, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
