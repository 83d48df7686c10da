"""Choosing progressive widening's k and alpha: the real search loop (treefix.search.mcts) over a
synthetic program whose proposer offers N one-token edits per state in prior order, graded by an
oracle. Reports evaluations to the first fix for

- single-edit bugs whose fix is the r-th proposal (the common case: widening must not cost much),
- non-separable two-edit bugs: edits ranked rA and rB, and neither alone changes any outcome,
- stepping two-edit bugs: edits ranked rA and rB, and rA alone passes one of two failing tests
  (the common multi-edit fix of a student program: each edit is progress),
- decoys: the top proposal makes one of two failing tests pass but blocks the fix (the fix's
  slot is the decoy's: networkx bug 3's `and` -> `or` at the line whose operand wants a `not`),
  and the fix is the r-th proposal.

`--forced S`: the least share of the root's visits that expand an open slot (default 0.4;
1: every slot is expanded as it opens, classic progressive widening; 0: open slots only compete
with visited children through a first-play value).

    python bench/widening_sim.py [--budget 500] [--grid]
"""

from __future__ import annotations

import argparse
import itertools
import statistics

from treefix.protocols import Proposer
from treefix.search.mcts import Budget, Search
from treefix.search.reward import Baseline
from treefix.search.tree import SelectionPolicy
from treefix.types import Candidate, Edit, ProgramState, Status, Suspicion, TestOutcome, TestReport

N = 150  # proposals per state, about what the mutation proposer makes for a small function
LINE = b"v = 0\n"  # one slot per line; the proposal sets its 0 to 1


class Tokens(Proposer):
    """State: N lines `v = 0`; proposal i sets line i to `v = 1`; prior falls with the rank."""

    name = "tokens"

    def propose(self, state, focus, feedback):
        src = state.read("m.py")
        out = []
        for i in range(N):
            at = i * len(LINE) + 4
            if src[at : at + 1] == b"0":
                prior = 1.0 / (1.0 + 0.02 * i)
                out.append(Candidate((Edit("m.py", at, at + 1, "1"),), "t", f"{i}", prior))
        return out


def _report(*passed: bool) -> TestReport:
    tests = {
        f"t{i}": TestOutcome(f"t{i}", "passed" if ok else "failed", "" if ok else "AssertionError")
        for i, ok in enumerate(passed)
    }
    bad = sum(not ok for ok in passed)
    return TestReport(Status.FAILED if bad else Status.PASSED, int(bad > 0), 0.0, tests=tests)


def evals_to_fix(
    fix: set[int],
    k: float,
    alpha: float,
    budget: int,
    decoy: int | None = None,
    forced: float = 0.4,
    step: bool = False,
) -> int | None:
    """Evaluations to the first validated fix. With a `decoy` slot, setting it passes test t0
    only and keeps t1 failing whatever else is set; with `step`, setting the first slot of the
    fix passes t0 alone."""

    def on(src: bytes, i: int) -> bool:
        return src[i * len(LINE) + 4 : i * len(LINE) + 5] == b"1"

    def grade(state: ProgramState) -> TestReport:
        src = state.read("m.py")
        if decoy is not None and on(src, decoy):
            return _report(True, False)
        ok = all(on(src, i) for i in fix)
        return _report(ok or (step and on(src, min(fix))), ok)

    base = _report(False, False)

    def evaluate(states, full):
        return [grade(s) for s in states]

    root = ProgramState({"m.py": LINE * N})
    search = Search(
        root_state=root,
        root_report=base,
        baseline=Baseline(base, ["t0", "t1"]),
        focus=[Suspicion("m.py", 1, 1.0)],
        proposer=Tokens(),
        evaluate=evaluate,
        budget=Budget(max_evals=budget, max_depth=3),
        policy=SelectionPolicy(widen_k=k, widen_alpha=alpha, forced_root_share=forced),
    )
    return search.run().stats.evals_to_first_fix


SINGLE = [1, 5, 20, 50, 100]
PAIRS = [(0, 1), (2, 5), (5, 10), (10, 20), (20, 40)]


DECOYS = [3, 7, 20, 50]  # the fix's rank; the decoy is rank 0


def row(k: float, alpha: float, budget: int, forced: float) -> tuple[list, list, list, list]:
    singles = [evals_to_fix({r}, k, alpha, budget, forced=forced) for r in SINGLE]
    pairs = [evals_to_fix({a, b}, k, alpha, budget, forced=forced) for a, b in PAIRS]
    decoys = [evals_to_fix({r}, k, alpha, budget, decoy=0, forced=forced) for r in DECOYS]
    steps = [evals_to_fix({a, b}, k, alpha, budget, forced=forced, step=True) for a, b in PAIRS]
    return singles, pairs, decoys, steps


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--budget", type=int, default=500)
    p.add_argument("--grid", action="store_true", help="try a grid of k and alpha")
    p.add_argument(
        "--forced",
        type=float,
        default=0.4,
        help="the least share of the root's visits that expand an open slot (SelectionPolicy)",
    )
    args = p.parse_args()
    settings = [(0.0, 0.5), (2.0, 0.5), (4.0, 0.5), (1.0, 0.7), (2.0, 0.7), (3.0, 0.6), (1.0, 0.5)]
    if args.grid:
        settings = [(0.0, 0.5)] + list(
            itertools.product([1.0, 2.0, 3.0, 4.0], [0.4, 0.5, 0.6, 0.7, 0.8])
        )
    print(
        f"single-edit ranks {SINGLE}; two-edit rank pairs {PAIRS}; fix ranks behind a rank-0 "
        f"decoy {DECOYS}; budget {args.budget}; open slots "
        f"forced root share {args.forced:g}; - = not found"
    )

    def cells(xs: list) -> list:
        return [x if x is not None else "-" for x in xs]

    for k, alpha in settings:
        singles, pairs, decoys, steps = row(k, alpha, args.budget, args.forced)
        found = [x for x in pairs if x is not None]
        label = "off" if k == 0 else f"k={k:g} a={alpha:g}"
        med = statistics.median(found) if found else "-"
        print(
            f"{label:12} single {cells(singles)}  pairs {cells(pairs)} "
            f"found {len(found)}/{len(pairs)} median {med}  stepping {cells(steps)}  "
            f"decoy {cells(decoys)}"
        )


if __name__ == "__main__":
    main()
