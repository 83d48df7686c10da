"""Offline reach of the mutation proposer on the program bugs: does one candidate turn the buggy
program into the developer's fix (same `ast.dump`), and at which place? No test is run.

    python bench/real/reach.py [--work bench/real/.work] [--only ids]

The focus given to the proposer is the lines the developer changed (score 0.9) then every other
line (0.3), i.e. fault localisation at its best: what is left is the proposer's reach and order.
Fixes of one edit and of several are counted apart (one candidate may make several edits).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import patterns  # noqa: E402

from treefix.propose.mutation import MutationProposer  # noqa: E402
from treefix.protocols import Feedback  # noqa: E402
from treefix.types import ProgramState, Suspicion  # noqa: E402

PATH = "solution.py"


def changed_lines(buggy: str, fixed: str) -> list[int]:
    sm = difflib.SequenceMatcher(a=buggy.splitlines(), b=fixed.splitlines(), autojunk=False)
    out: list[int] = []
    for tag, i1, i2, _, _ in sm.get_opcodes():
        if tag != "equal":
            out += list(range(i1 + 1, i2 + 1)) or [i1, i1 + 1]
    return [ln for ln in dict.fromkeys(out) if ln > 0]


def reach(buggy: str, fixed: str) -> tuple[int | None, str]:
    """(1-based place of the first candidate equal to the fix, its family) or (None, "")."""
    state = ProgramState({PATH: buggy.encode(), "tests/test_solution.py": b""})
    dev = changed_lines(buggy, fixed)
    n = len(buggy.splitlines())
    focus = [Suspicion(PATH, ln, 0.9) for ln in dev]
    focus += [Suspicion(PATH, ln, 0.3) for ln in range(1, n + 1) if ln not in dev]
    cands = MutationProposer().propose(state, focus, Feedback(report=None))
    want = ast.dump(ast.parse(fixed))
    for i, c in enumerate(cands, 1):
        try:
            got = ast.dump(ast.parse(state.derive(c.edits).read(PATH)))
        except SyntaxError:
            continue
        if got == want:
            return i, c.operator
    return None, ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=HERE / ".work")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    counts: dict[str, list[int]] = {"single": [0, 0], "multi": [0, 0]}
    places: list[int] = []
    for bug in sorted((args.work / "bugs").glob("refactory-*")):
        if only and bug.name not in only:
            continue
        buggy = (bug / "repo" / PATH).read_text()
        fixed = (bug / "fix" / PATH).read_text()
        edits = patterns.classify(buggy, fixed)
        group = "single" if len(edits) == 1 else "multi"
        counts[group][0] += 1
        place, family = reach(buggy, fixed)
        if place is not None:
            counts[group][1] += 1
            places.append(place)
        kinds = "+".join(e.family for e in edits)
        print(f"{bug.name}\t{kinds}\t{place or '-'}\t{family}")
    places.sort()
    median = places[len(places) // 2] if places else "-"
    for group, (n, hit) in counts.items():
        print(f"{group}-edit fixes: {n}; reached by one candidate: {hit}")
    print(f"median place of the reached: {median}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
