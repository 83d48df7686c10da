"""Echoed literals: the statement whose string literal the failure's wrong value repeats."""

from __future__ import annotations

import textwrap

from tests.localize import baselines
from tests.localize.baselines import failed_run
from treefix.localize import localize
from treefix.localize.echo import echoed_lines, sides
from treefix.types import ProgramState, Suspicion
from treefix.types import TestOutcome as Outcome

QUERY = textwrap.dedent(
    """
    def exists_query(schema):
        head = "select 1 as table_exists from information_schema.tables "
        if schema:
            where = "where table_schema = lower(%s) and table_name = lower(%s)"
        else:
            where = "where table_name = %s limit 1"
        tail = " limit 1" if schema else ""
        sql = head + where + tail
        return sql.strip()
    """
).lstrip("\n")
TEST = "tests/test_query.py"
TARGET = f"{TEST}::test_exists_query"


def line_of(needle: str) -> int:
    return baselines.line_of(QUERY, needle)


def run(detail: str) -> list[Suspicion]:
    """One failing test that ran the whole function and no passing test: the spectrum ties."""
    ran = [n for n in range(2, len(QUERY.splitlines()) + 1) if n != line_of("if schema:") + 1]
    first = detail.splitlines()[0]
    outcome = Outcome(TARGET, "failed", first, frames=[(TEST, 3)], detail=detail)
    baseline = failed_run([outcome], {TARGET: {"db/query.py": ran}})
    state = ProgramState({"db/query.py": QUERY.encode(), TEST: b"def test_x(): ...\n"})
    return localize(state, baseline, [TARGET])


def test_the_literal_only_the_actual_value_holds_ranks_first():
    detail = (
        "AssertionError: expected call not found.\n"
        "Expected: execute('select 1 as table_exists from information_schema.tables"
        " where table_name = lower(%s) limit 1')\n"
        "Actual: execute('select 1 as table_exists from information_schema.tables"
        " where table_name = %s limit 1')"
    )
    top = run(detail)[0]
    assert (top.path, top.line) == ("db/query.py", line_of('"where table_name = %s limit 1"'))
    assert "echo" in top.reasons


def test_a_literal_both_sides_share_is_not_promoted():
    # Both values hold the else-branch literal: it was built right, and it keeps the score
    # every line the failing test ran has (the spectrum's tie).
    shared = (
        "AssertionError: 'where table_name = %s limit 1 a' != 'where table_name = %s limit 1 b'"
    )
    result = run(shared)
    branch = next(s for s in result if s.line == line_of('"where table_name = %s limit 1"'))
    assert "echo" not in branch.reasons
    assert branch.score == min(s.score for s in result)
    assert {s.score for s in result} == {branch.score}


def test_sides_of_the_usual_comparison_formats():
    assert sides("E   AssertionError: assert 'a' == 'b'") == [("'a'", "'b'")]
    assert sides("AssertionError: Lists differ: [1] != [2]") == [("Lists differ: [1]", "[2]")]
    got = sides("E   Expected: f('x')\nE   Actual: f('y')")
    assert got == [(" f('x')", " f('y')")]
    assert sides("E     - {'a': 1}\nE     + {'a': 2}") == [("{'a': 1}", "{'a': 2}")]
    assert sides("KeyError: 'insignificant'") == []


def test_short_and_wordless_literals_echo_nothing():
    source = b'def f(x):\n    a = "%s, %s"\n    b = ", ".join(x)\n    c = "tablename = %s"\n'
    assert echoed_lines(source, "got '%s, %s' and ', ' and 'tablename = %s'") == {4}
