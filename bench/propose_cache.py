"""Time per expansion of the mutation proposer on networkx (the large-project track's tree), with
and without its cache of parsed files keyed by content (issue 13: no re-parse of unchanged files).

    .venv/bin/python bench/propose_cache.py [--expansions 12]

The state is networkx 3.2.1's 279 library modules as bench/large.py builds them (run it once
first); the focus is 12 suspicious lines over 7 modules (the five injected bugs' lines and the
lines localisation ranked beside bug 3's). One root call, then `--expansions` child expansions,
each on the state one of the root's candidates leads to (as the search expands a child: one file
differs from its parent). Reported: milliseconds per call, median over the expansions, for a
proposer without the cache (max_files=0: every call parses and indexes every focused file) and
one with it (the default); and whether both gave the same candidates.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from treefix.propose.mutation import MutationProposer
from treefix.types import ProgramState, Suspicion

CLEAN = Path(__file__).resolve().parent / ".work" / "large" / "clean"
FOCUS = [
    ("networkx/algorithms/dag.py", 163),
    ("networkx/algorithms/lowest_common_ancestors.py", 67),
    ("networkx/algorithms/d_separation.py", 177),
    ("networkx/algorithms/dag.py", 869),
    ("networkx/algorithms/isolate.py", 39),
    ("networkx/classes/function.py", 117),
    ("networkx/algorithms/shortest_paths/generic.py", 39),
    ("networkx/algorithms/boundary.py", 105),
    ("networkx/algorithms/dag.py", 201),
    ("networkx/algorithms/lowest_common_ancestors.py", 70),
    ("networkx/algorithms/d_separation.py", 180),
    ("networkx/algorithms/isolate.py", 86),
]


def run(proposer: MutationProposer, root: ProgramState, focus: list[Suspicion], n: int):
    """(ms of the root call, ms of each expansion, the candidates' descriptions per call)"""
    t0 = time.perf_counter()
    first = proposer.propose(root, focus)
    root_ms = (time.perf_counter() - t0) * 1000
    times, seen = [], [[c.description for c in first]]
    for cand in first[:n]:
        child = root.derive(cand.edits)
        t0 = time.perf_counter()
        out = proposer.propose(child, focus)
        times.append((time.perf_counter() - t0) * 1000)
        seen.append([c.description for c in out])
    return root_ms, times, seen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--expansions", type=int, default=12)
    args = ap.parse_args()
    files = {
        str(p.relative_to(CLEAN)): p.read_bytes()
        for p in (CLEAN / "networkx").rglob("*.py")
        if "tests" not in p.parts
    }
    root = ProgramState(files)
    focus = [Suspicion(path, line, 0.9 - 0.01 * i) for i, (path, line) in enumerate(FOCUS)]
    results = {}
    for label, proposer in (
        ("no cache", MutationProposer(max_files=0)),
        ("cache", MutationProposer()),
    ):
        results[label] = run(proposer, root, focus, args.expansions)
        root_ms, times, _ = results[label]
        print(
            f"{label:9} root {root_ms:7.1f} ms; expansions: median {statistics.median(times):7.1f} ms,"
            f" max {max(times):7.1f} ms over {len(times)}"
        )
    same = results["no cache"][2] == results["cache"][2]
    print(f"same candidates in every call: {same}")


if __name__ == "__main__":
    main()
