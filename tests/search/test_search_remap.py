"""The search's focus at a node: the localiser's ranking carried over, traceback frames first."""

from __future__ import annotations

from treefix.propose.mutation import MutationProposer
from treefix.search.remap import remap
from treefix.types import ProgramState, Status, Suspicion, TestOutcome, TestReport


def _module(n: int) -> bytes:
    return "".join(f"def f{i}(a, b):\n    return a < b\n\n\n" for i in range(n)).encode()


def test_equal_scores_keep_the_localisers_order_not_the_alphabet():
    """luigi-20: 40 lines tied at 0.9, the ranker's tie-breaks put task.py's first; sorting the
    ties by path put parameter.py's 20 first, and the proposer (top 12 statements) never saw
    the fix's line in task.py."""
    state = ProgramState({"pkg/zeta.py": _module(20), "pkg/alpha.py": _module(20)})
    lines = [2 + 4 * i for i in range(20)]  # each function's `return`
    ranked = [Suspicion("pkg/zeta.py", ln, 0.9) for ln in lines]
    ranked += [Suspicion("pkg/alpha.py", ln, 0.9) for ln in lines]
    focus = remap(ranked, state, None, [])
    assert [(s.path, s.line) for s in focus] == [(s.path, s.line) for s in ranked]
    proposed = MutationProposer(seed=0).propose(state, focus)
    assert {c.path for c in proposed} == {"pkg/zeta.py"}  # the top 12 are the ranker's top 12


def test_a_traceback_frame_outranks_the_spectrum_and_higher_scores_still_lead():
    state = ProgramState({"pkg/zeta.py": _module(3), "pkg/alpha.py": _module(3)})
    failing = TestOutcome(
        "tests/test_z.py::test_z",
        "failed",
        "KeyError: 'x'",
        frames=[("tests/test_z.py", 3), ("pkg/alpha.py", 6)],
    )
    report = TestReport(Status.FAILED, 1, 0.0, tests={failing.nodeid: failing})
    ranked = [
        Suspicion("pkg/zeta.py", 2, 0.9),
        Suspicion("pkg/alpha.py", 10, 0.9),
        Suspicion("pkg/zeta.py", 6, 0.99),
    ]
    focus = remap(ranked, state, report, [failing.nodeid])
    assert [(s.path, s.line) for s in focus] == [
        ("pkg/zeta.py", 6),  # 0.99
        ("pkg/alpha.py", 6),  # the deepest frame, 0.95
        ("pkg/zeta.py", 2),  # the ties, in the ranker's order
        ("pkg/alpha.py", 10),
    ]
