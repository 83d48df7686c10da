"""The backward slice: the statement that computed what a failing guard tested ranks near it."""

from __future__ import annotations

import textwrap

from tests.localize import baselines
from tests.localize.baselines import one_failing_among_passing
from treefix.code.syntax import parse
from treefix.localize import localize
from treefix.localize.slice import backward_slice, failing_expression, reads, writes
from treefix.types import ProgramState

BIND = textwrap.dedent(
    """
    def bind(args, params):
        names = [p.name for p in params]
        count = len(args)
        seen = []
        extra = {}
        known = [p for p in params if p.significant]
        for i, arg in enumerate(args):
            seen.append(arg)
            if i >= len(known):
                raise TypeError("too many arguments")
        return dict(zip(names, args))
    """
).lstrip("\n")
TEST = "tests/test_bind.py"


def line_of(needle: str) -> int:
    return baselines.line_of(BIND, needle)


def test_the_assignment_a_failing_guard_reads_ranks_in_the_top_three():
    # Every test runs the setup lines; only the failing one reaches the raise. The spectrum ties
    # the setup lines and line order put `known = ...` behind the others.
    raise_line = line_of("raise TypeError")
    setup = list(range(2, raise_line))
    target = f"{TEST}::test_insignificant_param_is_positional"
    message = "TypeError: too many arguments"
    passing = [line_of("return dict")]
    baseline = one_failing_among_passing(target, "bind.py", message, raise_line, setup, passing)
    state = ProgramState({"bind.py": BIND.encode(), TEST: b"def test_x(): ...\n"})
    result = localize(state, baseline, [target])
    top3 = [(s.path, s.line) for s in result[:3]]
    assert ("bind.py", line_of("known =")) in top3
    known = next(s for s in result if s.line == line_of("known ="))
    assert "slice" in known.reasons
    assert line_of("extra =") not in {s.line for s in result if "slice" in s.reasons}


def test_the_slice_follows_names_back_through_assignments_and_in_place_changes():
    source = textwrap.dedent(
        """
        def f(items, limit):
            unused = 1
            cleaned = [x for x in items if x]
            errors = []
            errors.append(check(cleaned))
            if errors:
                raise ValueError(errors)
        """
    ).encode()
    function = parse(source).root_node.children[0]
    raise_stmt = function.child_by_field_name("body").children[-1].children[-1].children[0]
    assert raise_stmt.type == "raise_statement"
    found = {
        n.text.decode().split()[0]: hops
        for n, hops in backward_slice(failing_expression(raise_stmt), function)
    }
    assert found == {"errors.append(check(cleaned))": 1, "errors": 1, "cleaned": 2}


def test_reads_and_writes_of_a_statement():
    stmt = parse(b"x[k].a += f(y, key=z)\n").root_node.children[0]
    assert writes(stmt) == {"x"}
    assert reads(stmt) == {"x", "k", "f", "y", "z"}
