"""Shared fixture code for the mutation proposer tests (not a test module)."""

from __future__ import annotations

from textwrap import dedent

from treefix.propose.mutation import MutationProposer
from treefix.protocols import Feedback
from treefix.types import Candidate, ProgramState, Status, Suspicion, TestOutcome, TestReport

PATH = "pkg/mod.py"


def state_of(source: str, path: str = PATH) -> ProgramState:
    return ProgramState({path: dedent(source).encode(), "tests/test_mod.py": b"def test(): pass\n"})


def propose(
    source: str,
    *lines: int,
    feedback: Feedback | None = None,
    path: str = PATH,
    **kwargs: int,
) -> tuple[ProgramState, list[Candidate]]:
    state = state_of(source, path)
    focus = [Suspicion(path, ln, 0.9 - 0.05 * i) for i, ln in enumerate(lines)]
    cands = MutationProposer(**kwargs).propose(state, focus, feedback or Feedback(report=None))
    return state, cands


def results(source: str, *lines: int, **kwargs) -> dict[str, Candidate]:
    """Each candidate's resulting file text -> the (first, best) candidate giving it."""
    state, cands = propose(source, *lines, **kwargs)
    path = kwargs.get("path", PATH)
    out: dict[str, Candidate] = {}
    for c in cands:
        out.setdefault(state.derive(c.edits).read(path).decode(), c)
    return out


def assert_fix(source: str, line: int, fixed: str, operator: str, **kwargs) -> Candidate:
    found = results(source, line, **kwargs)
    want = dedent(fixed)
    assert want in found, f"no {operator} candidate gives:\n{want}\ngot:\n" + "\n".join(
        f"{c.operator}: {c.description}" for c in found.values()
    )
    cand = found[want]
    assert cand.operator == operator, cand
    return cand


def rank_of(source: str, line: int, fixed: str, **kwargs) -> tuple[int, Candidate]:
    """1-based place of the first candidate giving `fixed` among the candidates for one line."""
    state, cands = propose(source, line, **kwargs)
    want = dedent(fixed)
    for i, c in enumerate(cands, 1):
        if state.derive(c.edits).read(PATH).decode() == want:
            return i, c
    raise AssertionError(
        f"no candidate gives:\n{want}\ngot:\n"
        + "\n".join(f"{c.operator}: {c.description}" for c in cands)
    )


def raised(message: str) -> Feedback:
    """The run's word: one failing test, whose failure says `message`."""
    outcome = TestOutcome("tests/test_mod.py::test_it", "failed", message)
    report = TestReport(Status.FAILED, 1, 0.1, tests={outcome.nodeid: outcome})
    return Feedback(report=report, targets=[outcome.nodeid])


def assert_proposed(
    source: str, line: int, fixed: str, operator: str, within: int, **kwargs
) -> Candidate:
    """The candidate giving `fixed` comes from `operator`, among the first `within` for its line."""
    rank, cand = rank_of(source, line, fixed, **kwargs)
    assert cand.operator == operator, cand
    assert rank <= within, (rank, cand.description)
    return cand
