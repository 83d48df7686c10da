"""MutationProposer as the search sees it: valid, distinct, ordered, reproducible candidates."""

from __future__ import annotations

from textwrap import dedent

from helpers_mutation import PATH, propose, state_of

from treefix.code.normalize import normalize_source
from treefix.code.syntax import has_syntax_error
from treefix.propose.mutation import OPERATOR_PRIORS, MutationProposer
from treefix.protocols import Feedback
from treefix.types import Edit, ProgramState, Status, Suspicion, TestOutcome, TestReport

# A bit of everything: loops, clauses, a class, nested and one-line blocks, comprehensions,
# and what only a real compile catches (`global` order, `from __future__` placement).
MODULE = """\
from __future__ import annotations

import math

LIMIT = 10


def bump(step):
    global LIMIT
    LIMIT = LIMIT + step
    return LIMIT


def stats(values, scale=1):
    \"\"\"Mean and spread.\"\"\"
    if not values: return None
    total = 0
    count = 0
    for i, v in enumerate(values):
        if v is None:
            continue
        elif v > LIMIT and i % 2 == 0:
            total += v * scale
        else:
            total -= v

        count += 1
    mean = total / count if count else 0.0
    spread = math.sqrt(sum((v - mean) ** 2 for v in values[1:count]))
    return mean, spread


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)
        return len(self.items) - 1

    def pop(self):
        while self.items and self.items[-1] is None:
            self.items.pop()
        return self.items.pop() if self.items else None
"""
ALL_LINES = list(range(1, len(MODULE.splitlines()) + 1))


def at(text: str) -> int:
    """The 1-based line of MODULE holding `text`."""
    return next(i for i, ln in enumerate(MODULE.splitlines(), 1) if text in ln)


MEAN, SPREAD, RETURN, APPEND = at("mean = "), at("spread = "), at("return mean"), at(".append(")


def test_every_candidate_compiles_changes_something_and_is_unique() -> None:
    state, cands = propose(MODULE, *ALL_LINES, max_statements=40, max_candidates=5000)
    assert len(cands) > 100
    original = normalize_source(state.read(PATH))
    seen: dict[bytes, str] = {}
    for c in cands:
        new = state.derive(c.edits).read(PATH)
        assert not has_syntax_error(new), c
        norm = normalize_source(new)
        assert norm != original, c
        assert norm not in seen, (c.description, seen.get(norm))
        seen[norm] = c.description
    assert {c.operator for c in cands} >= {
        "binop", "negate", "dropcond", "const", "offbyone", "rename", "swapargs", "return",
        "delete", "insert", "attr", "isnone",
    }  # fmt: skip


def test_ordered_by_prior_and_capped() -> None:
    _, cands = propose(MODULE, *ALL_LINES, max_statements=40, max_candidates=50)
    assert len(cands) == 50
    priors = [c.prior for c in cands]
    assert priors == sorted(priors, reverse=True)
    assert all(0 < p <= 1 for p in priors)


def test_prior_is_suspiciousness_times_operator_prior() -> None:
    state = state_of(MODULE)
    hot = Suspicion(PATH, MEAN, 1.0)
    cold = Suspicion(PATH, APPEND, 0.2)
    cands = MutationProposer().propose(state, [hot, cold], Feedback(report=None))
    top_hot = max(c.prior for c in cands if c.line == MEAN)
    top_cold = max(c.prior for c in cands if c.line == APPEND)
    assert top_hot > top_cold
    limit = 0.2 * max(OPERATOR_PRIORS.values()) + 1e-9
    assert all(c.prior <= limit for c in cands if c.line == APPEND)


def test_same_seed_same_list_other_seed_same_set() -> None:
    lines = [at("total = 0"), at("for i, v"), at("total += v"), MEAN, SPREAD]
    _, a = propose(MODULE, *lines, seed=3)
    _, b = propose(MODULE, *lines, seed=3)
    _, c = propose(MODULE, *lines, seed=4)
    assert a == b
    assert set(a) == set(c)
    assert [x.prior for x in a] == [x.prior for x in c]  # only ties may be reordered


def test_max_statements_limits_the_sites() -> None:
    _, cands = propose(MODULE, MEAN, SPREAD, RETURN, APPEND, max_statements=2)
    assert {c.line for c in cands if c.operator not in ("return", "insert")} <= {MEAN, SPREAD}
    assert any(c.line == MEAN for c in cands) and any(c.line == SPREAD for c in cands)


def test_lines_of_one_statement_are_mutated_once() -> None:
    src = """\
    def f(a, b):
        x = max(
            a,
            b,
        )
        return x
    """
    _, once = propose(src, 2)
    _, thrice = propose(src, 2, 3, 4)
    assert [c.description for c in once] == [c.description for c in thrice]


def test_test_files_are_never_touched() -> None:
    src = "def test_x():\n    assert 1 + 1 == 3\n"
    paths = [
        "tests/test_mod.py",
        "pkg/tests/helpers.py",
        "test_top.py",
        "pkg/mod_test.py",
        "conftest.py",
    ]
    state = ProgramState({p: src.encode() for p in paths})
    focus = [Suspicion(p, 2, 1.0) for p in paths]
    assert MutationProposer().propose(state, focus, Feedback(report=None)) == []


def test_unknown_paths_and_blank_lines_are_skipped() -> None:
    state = state_of("def f(x):\n    return x + 1\n")
    focus = [Suspicion("pkg/gone.py", 1, 1.0), Suspicion(PATH, 99, 0.9)]
    assert MutationProposer().propose(state, focus, Feedback(report=None)) == []


def test_edits_are_offsets_into_the_current_state_not_the_original() -> None:
    base = state_of(
        """\
        def area(w, h):
            return w * h
        """
    )
    text = base.read(PATH)
    prefix = b"# a comment the search added earlier\n"
    current = base.derive([Edit(PATH, 0, 0, prefix.decode())])
    cands = MutationProposer().propose(current, [Suspicion(PATH, 3, 1.0)], Feedback(report=None))
    fixed = {current.derive(c.edits).read(PATH) for c in cands}
    assert prefix + text.replace(b"w * h", b"w + h") in fixed


def test_tabs_and_non_ascii_text_keep_offsets_right() -> None:
    src = "def greet(name):\n\tmsg = 'héllo ✓ ' + name\n\treturn msg[1:]\n"
    state = ProgramState({PATH: src.encode()})
    cands = MutationProposer().propose(state, [Suspicion(PATH, 3, 1.0)], Feedback(report=None))
    texts = {state.derive(c.edits).read(PATH).decode() for c in cands}
    assert src.replace("msg[1:]", "msg[:]") not in texts  # removing a bound is not an operator
    assert src.replace("msg[1:]", "msg[2:]") in texts
    assert src.replace("msg[1:]", "msg[1:-1]") in texts
    guard = "\tif msg is None:\n\t\treturn None\n"
    assert src.replace("\treturn msg", guard + "\treturn msg") in texts


def _report(message: str, status: Status = Status.FAILED) -> Feedback:
    outcome = TestOutcome("tests/test_mod.py::test_it", "failed", message)
    report = TestReport(status, 1, 0.1, tests={outcome.nodeid: outcome})
    return Feedback(report=report, targets=[outcome.nodeid])


SHOP = """\
def price_of(cart, i):
    item = cart.items[i]
    return item.price
"""


def _best(cands, operator: str) -> float:
    return max(c.prior for c in cands if c.operator == operator)


def test_feedback_about_none_raises_the_none_templates() -> None:
    _, plain = propose(SHOP, 3)
    _, hinted = propose(
        SHOP, 3, feedback=_report("AttributeError: 'NoneType' object has no attribute 'price'")
    )
    assert _best(hinted, "isnone") > _best(plain, "isnone")
    assert _best(hinted, "rename") == _best(plain, "rename")


def test_feedback_index_error_raises_offbyone() -> None:
    _, plain = propose(SHOP, 2)
    _, hinted = propose(SHOP, 2, feedback=_report("IndexError: list index out of range"))
    assert _best(hinted, "offbyone") > _best(plain, "offbyone")


def test_timeout_raises_loop_header_mutants() -> None:
    src = """\
    def countdown(n):
        while n != 0:
            n -= 2
        return n
    """
    _, plain = propose(src, 2)
    _, hinted = propose(src, 2, feedback=_report("", status=Status.TIMEOUT))
    assert _best(hinted, "negate") > _best(plain, "negate")
    assert hinted[0].line == 2


def test_max_candidates_zero_and_empty_focus() -> None:
    assert propose(MODULE, MEAN, max_candidates=0)[1] == []
    assert propose(MODULE)[1] == []


def test_dedupe_keeps_the_highest_prior() -> None:
    # `range(n - 2)` comes from const (1 -> 2, prior 0.9) and from offbyone (`n - 1` - 1,
    # prior 0.95): one candidate survives, the offbyone one.
    src = """\
    def upto(n):
        return list(range(n - 1))
    """
    state, cands = propose(src, 2)
    texts = [state.derive(c.edits).read(PATH).decode() for c in cands]
    twice = dedent(src).replace("n - 1", "n - 2")
    assert texts.count(twice) == 1
    assert cands[texts.index(twice)].operator == "offbyone"
    assert cands[texts.index(dedent(src).replace("n - 1", "n"))].operator == "offbyone"


def test_an_expansion_parses_only_the_files_that_changed(monkeypatch) -> None:
    """The proposer keeps parsed files by content: a child state (one file edited) costs one
    parse, and gives exactly what a fresh proposer gives (never a stale tree)."""
    from treefix.propose import mutation

    a = "def lo(xs):\n    return min(xs) - 1\n"
    b = "def hi(xs):\n    if len(xs) > 0:\n        return max(xs) + 1\n    return None\n"
    root = ProgramState({"pkg/a.py": a.encode(), "pkg/b.py": b.encode()})
    focus = [Suspicion("pkg/a.py", 2, 0.9), Suspicion("pkg/b.py", 2, 0.8)]
    proposer = MutationProposer()
    first = proposer.propose(root, focus)
    child = root.derive(next(c for c in first if c.path == "pkg/a.py").edits)
    parsed: list[bytes] = []
    real = mutation.parse
    monkeypatch.setattr(mutation, "parse", lambda src: parsed.append(src) or real(src))
    again = proposer.propose(child, focus)
    assert parsed == [child.read("pkg/a.py")]  # b.py was unchanged: not parsed again
    fresh = MutationProposer().propose(child, focus)
    assert [(c.edits, c.prior) for c in again] == [(c.edits, c.prior) for c in fresh]
    assert again != first  # a.py's new text was mutated, not the cached old one
