"""The search loop with a scripted proposer and a scripted evaluator (no sandbox: the tree logic)."""

from __future__ import annotations

from treefix.protocols import Feedback, Proposer
from treefix.search import mcts
from treefix.search.mcts import Budget, Search
from treefix.search.reward import Baseline
from treefix.search.tree import SelectionPolicy
from treefix.types import Candidate, Edit, ProgramState, Status, Suspicion, TestOutcome, TestReport

SRC = b"def f(a, b):\n    x = a - b\n    y = x * 3\n    return y\n"


def _report(passed: set[str]) -> TestReport:
    tests = {
        n: TestOutcome(
            n, "passed" if n in passed else "failed", "" if n in passed else "AssertionError: x"
        )
        for n in ("t1", "t2", "t3")
    }
    status = Status.PASSED if len(passed) == 3 else Status.FAILED
    return TestReport(status, 0 if status == Status.PASSED else 1, 0.01, tests=tests)


class ScriptedProposer(Proposer):
    """Proposes every single-token replacement from a fixed table, in table order."""

    name = "scripted"

    def __init__(self, table: list[tuple[bytes, bytes]]):
        self.table = table
        self.calls = 0

    def propose(self, state: ProgramState, focus, feedback: Feedback) -> list[Candidate]:
        self.calls += 1
        src = state.read("m.py")
        out = []
        for i, (old, new) in enumerate(self.table):
            pos = src.find(old)
            if pos >= 0:
                out.append(
                    Candidate(
                        (Edit("m.py", pos, pos + len(old), new.decode()),),
                        "scripted",
                        f"{old!r}->{new!r}",
                        prior=1.0 - i * 0.01,
                    )
                )
        return out


def _oracle(state: ProgramState) -> set[str]:
    text = state.read("m.py")
    passed = {"t3"}
    if b"a + b" in text:
        passed.add("t1")
    if b"x * 2" in text:
        passed.add("t2")
    return passed


def _search(table, *, workers=1, max_evals=100, seed=0, evaluated=None):
    base = ProgramState({"m.py": SRC})
    root_report = _report(_oracle(base))
    baseline = Baseline(root_report, ["t1", "t2"], ["t3"])

    def evaluate(states, full):
        if evaluated is not None:
            evaluated.extend((s.key(), f) for s, f in zip(states, full, strict=True))
        return [_report(_oracle(s)) for s in states]

    search = Search(
        root_state=base,
        root_report=root_report,
        baseline=baseline,
        focus=[Suspicion("m.py", 2, 1.0)],
        proposer=ScriptedProposer(table),
        evaluate=evaluate,
        budget=Budget(max_evals=max_evals),
        workers=workers,
        seed=seed,
    )
    return search.run()


TABLE = [
    (b"* 3", b"* 4"),
    (b"a - b", b"a * b"),
    (b"* 3", b"* 2"),
    (b"a - b", b"a + b"),
    (b"return y", b"return x"),
]


def test_two_edit_fix_is_found_at_depth_two():
    res = _search(TABLE)
    assert res.fix is not None
    text = res.fix.state.read("m.py")
    assert b"a + b" in text and b"x * 2" in text
    assert res.fix.depth == 2
    assert res.stats.stop_reason == "fixed"
    assert res.stats.evals_to_first_fix is not None


def test_identical_states_are_never_evaluated_twice():
    runs: list[tuple[str, bool]] = []
    # "a - b " normalises to the original program: it must be skipped, not run
    res = _search([(b"a - b", b"a - b ")] + TABLE, evaluated=runs, max_evals=60)
    focused = [k for k, full in runs if not full]
    assert len(focused) == len(set(focused))
    assert ProgramState({"m.py": SRC}).key() not in focused
    assert res.stats.duplicates_skipped >= 1


def test_budget_stops_the_search_without_a_fix():
    res = _search([(b"* 3", b"* 4"), (b"return y", b"return x")], max_evals=3)
    assert res.fix is None
    assert res.stats.evaluations <= 3
    assert res.stats.stop_reason in ("evaluation budget", "search space exhausted")


def test_same_seed_and_workers_give_the_same_trajectory():
    a = _search(TABLE, workers=2, seed=7)
    b = _search(TABLE, workers=2, seed=7)
    assert [n.state.key() for n in a.trajectory] == [n.state.key() for n in b.trajectory]
    assert a.fix is not None and b.fix is not None


def test_parallel_batches_do_not_pick_the_same_leaf():
    res = _search(TABLE, workers=3)
    keys = [n.state.key() for n in res.trajectory]
    assert len(keys) == len(set(keys))


class Slots(Proposer):
    """A state of 120 lines `v = 0`; proposal i sets line i to `v = 1`, best prior first."""

    name = "slots"
    line = b"v = 0\n"

    def propose(self, state: ProgramState, focus, feedback: Feedback) -> list[Candidate]:
        src = state.read("m.py")
        out = []
        for i in range(120):
            at = i * len(self.line) + 4
            if src[at : at + 1] == b"0":
                edit = Edit("m.py", at, at + 1, "1")
                out.append(Candidate((edit,), "slot", f"slot {i}", 1.0 / (1 + 0.02 * i)))
        return out


def _non_separable(policy: SelectionPolicy, max_evals: int):
    """Lines 2 and 5 must both change; either alone changes no test outcome (reward 0)."""
    return _slots((2, 5), policy, Budget(max_evals=max_evals))


def _slots(
    fix: tuple[int, ...],
    policy: SelectionPolicy,
    budget: Budget,
    on_evaluate=None,
    decoy: int | None = None,
    step: bool = False,
):
    """The Slots program, fixed when every line in `fix` is changed (and not before). Changing
    line `decoy` passes test t0 but keeps t1 failing whatever else changes; with `step`,
    changing the first line of `fix` passes t0 alone."""
    root = ProgramState({"m.py": Slots.line * 120})

    def on(src: bytes, i: int) -> bool:
        return src[i * 6 + 4 : i * 6 + 5] == b"1"

    def evaluate(states, full):
        if on_evaluate is not None:
            on_evaluate(len(states))
        out = []
        for s in states:
            src = s.read("m.py")
            if decoy is not None and on(src, decoy):
                out.append(report(True, False))
            else:
                ok = all(on(src, i) for i in fix)
                out.append(report(ok or (step and on(src, min(fix))), ok))
        return out

    def report(*passed: bool) -> TestReport:
        tests = {
            f"t{i}": TestOutcome(f"t{i}", "passed" if ok else "failed", "" if ok else "Error: no")
            for i, ok in enumerate(passed)
        }
        bad = not all(passed)
        return TestReport(Status.FAILED if bad else Status.PASSED, int(bad), 0.0, tests=tests)

    base = report(False, False)
    return Search(
        root_state=root,
        root_report=base,
        baseline=Baseline(base, ["t0", "t1"]),
        focus=[Suspicion("m.py", 1, 1.0)],
        proposer=Slots(),
        evaluate=evaluate,
        budget=budget,
        policy=policy,
    ).run()


def test_progressive_widening_reaches_a_non_separable_two_edit_fix_early():
    # the fixed curve (tuned for 500 evaluations) reaches it within 110...
    fixed_curve = SelectionPolicy(widen_k=2.0, widen_alpha=0.7, reference_evals=None)
    widened = _non_separable(fixed_curve, 110)
    assert widened.fix is not None and widened.fix.depth == 2
    assert widened.stats.evals_to_first_fix <= 110
    # ...the default, which at 110 tries single edits first, within 200
    adaptive = _non_separable(SelectionPolicy(widen_k=2.0, widen_alpha=0.7), 200)
    assert adaptive.fix is not None and adaptive.fix.depth == 2
    # every proposal open at once: all 120 single edits come first, so 110 runs are not enough
    flat = _non_separable(SelectionPolicy(widen_k=0), 110)
    assert flat.fix is None


def test_widening_opens_proposals_as_visits_grow():
    policy = SelectionPolicy(widen_k=2.0, widen_alpha=0.7, reference_evals=None)  # the curve
    node = _non_separable(policy, 60).root
    opened = len(node.children)
    assert 2 <= opened <= policy.width(node) + 1  # +1: the widen-when-used-up fallback
    assert opened < 50  # visits also went below the root's children
    assert SelectionPolicy(widen_k=0).width(node) is None


def test_a_small_evaluation_cap_tries_the_100th_single_edit_before_descending():
    """The fix is one edit, the 100th proposal; the cap allows 200 evaluations. The curve tuned
    for 500 spends a third of its visits below fruitless edits and never reaches it; sized to the
    cap, the root opens more of its single edits first (a quarter of the visits still descend:
    max_root_share)."""
    curve = SelectionPolicy(widen_k=2.0, widen_alpha=0.7, reference_evals=None)
    assert _slots((99,), curve, Budget(max_evals=200)).fix is None
    found = _slots((99,), SelectionPolicy(widen_k=2.0, widen_alpha=0.7), Budget(max_evals=200))
    assert found.fix is not None and found.fix.depth == 1
    assert found.stats.evals_to_first_fix <= 200


def test_the_time_left_at_the_measured_cost_sizes_the_widening(monkeypatch):
    """No evaluation cap (500), but each evaluation costs 1 s of a 200 s budget: the search
    measures that and widens as for 200 evaluations, reaching the 100th single edit in time."""
    clock = [1000.0]
    monkeypatch.setattr(mcts.time, "monotonic", lambda: clock[0])

    def spend(n: int) -> None:
        clock[0] += 1.0 * n

    def run(policy: SelectionPolicy):
        clock[0] = 1000.0
        budget = Budget(max_evals=500, deadline=clock[0] + 200.0)
        return _slots((99,), policy, budget, on_evaluate=spend)

    assert run(SelectionPolicy(reference_evals=None)).fix is None
    found = run(SelectionPolicy())
    assert found.fix is not None and found.fix.depth == 1
    assert found.stats.evaluations <= 200
    assert found.stats.stop_reason == "fixed"


def test_an_edit_passing_half_the_failing_tests_does_not_hide_the_fix_behind_it():
    """The best-prior edit passes one of the two failing tests and blocks the fix (networkx
    bug 3: `and` -> `or` on the line whose operand wanted a `not`); the fix is the 7th single
    edit. A share of the root's visits always expands a new proposal, so the fix comes within
    25 evaluations; left to compete with the decoy's good partial reward through a first-play
    value, the open proposals waited while the visits went below the decoy."""
    found = _slots((7,), SelectionPolicy(), Budget(max_evals=300), decoy=0)
    assert found.fix is not None and found.fix.depth == 1
    assert found.stats.evals_to_first_fix <= 25
    assert found.trajectory[0].candidate.description == "slot 0"  # the decoy came first
    waited = _slots((7,), SelectionPolicy(forced_root_share=0), Budget(max_evals=300), decoy=0)
    assert waited.stats.evals_to_first_fix is None or waited.stats.evals_to_first_fix > 35


def test_a_first_edit_that_is_progress_is_still_built_on_quickly():
    """Lines 2 and 5 both need changing, and changing line 2 alone passes one of the two
    failing tests: the forced share leaves most visits to the progressing child, so the pair
    comes within 15 evaluations (every slot expanded as it opens: more than 20)."""
    step = _slots((2, 5), SelectionPolicy(), Budget(max_evals=300), step=True)
    assert step.fix is not None and step.fix.depth == 2
    assert step.stats.evals_to_first_fix <= 15
    eager = _slots((2, 5), SelectionPolicy(forced_root_share=1), Budget(max_evals=300), step=True)
    assert eager.stats.evals_to_first_fix > 20
