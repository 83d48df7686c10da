"""Plumbing statements (`pass`, `x = []`, `self.x = x`) come last among equal scores."""

from __future__ import annotations

import textwrap

from tests.localize import baselines
from tests.localize.baselines import failed_run
from treefix.code.syntax import parse
from treefix.localize import localize
from treefix.localize.kinds import is_plumbing
from treefix.types import ProgramState
from treefix.types import TestOutcome as Outcome

WINDOW = textwrap.dedent(
    """
    class Window:
        def __init__(self, size, step):
            self.size = size
            self.step = step
            self.items = []
            self.limit = size * step - 1
    """
).lstrip("\n")


def line_of(needle: str) -> int:
    return baselines.line_of(WINDOW, needle)


def test_the_statement_that_computes_something_outranks_tied_bookkeeping():
    # One failing test ran the constructor and nothing else has coverage: Ochiai ties the four
    # lines; the test's words ("items") would put `self.items = []` first.
    target = "tests/test_window.py::test_window_holds_all_items"
    outcome = Outcome(target, "failed", "AssertionError: assert 5 == 6")
    ran = [line_of(k) for k in ("self.size", "self.step", "self.items", "self.limit")]
    baseline = failed_run([outcome], {target: {"window.py": ran}})
    result = localize(ProgramState({"window.py": WINDOW.encode()}), baseline, [target])
    assert len({s.score for s in result}) == 1
    assert [s.line for s in result][0] == line_of("self.limit")


def test_what_counts_as_plumbing():
    def first(code: bytes):
        return parse(code).root_node.children[0]

    for code in (b"pass\n", b"errors = []\n", b"seen = set()\n", b"x = None\n", b"self.a = a\n"):
        assert is_plumbing(first(code)), code
    for code in (b"self.a = b\n", b"x = [1]\n", b"x = 0\n", b"x = f()\n", b"x += []\n", b"a = b\n"):
        assert not is_plumbing(first(code)), code
