from __future__ import annotations

import textwrap

from treefix.code.syntax import parse, statement_at
from treefix.localize.statements import enclosing_loop, index_file, statements_within
from treefix.localize.syntax_errors import syntax_lines

SAMPLE = textwrap.dedent(
    """\
    import os


    @decorator
    def f(a, b=(1,
                2)):
        x = a; y = b
        if x:
            for i in range(3):
                y += i
        elif y:
            pass
        else:
            while False:
                break
        try:
            z = call(
                x,
                y,
            )
        except ValueError as e:
            raise
        finally:
            pass
        return [v
                for v in z]


    class K:
        attr = 1

        def m(self):
            return self.attr
    """
)


def test_index_agrees_with_statement_at_on_every_line():
    index = index_file(SAMPLE.encode())
    tree = parse(SAMPLE.encode())
    for line in range(0, SAMPLE.count("\n") + 3):
        expected = statement_at(tree, line)
        got = index.statement(line)
        assert (got and (got.type, got.start_point)) == (
            expected and (expected.type, expected.start_point)
        ), line


def test_loop_helpers():
    index = index_file(SAMPLE.encode())
    body = index.statement(10)  # y += i
    assert body is not None and body.type == "expression_statement"
    loop = enclosing_loop(body)
    assert loop is not None and loop.type == "for_statement"
    assert enclosing_loop(index.statement(7)) is None  # x = a; not in a loop
    inner = [n.start_point[0] + 1 for n in statements_within(loop.child_by_field_name("body"))]
    assert inner == [10]


def broken(text: str) -> dict[int, float]:
    return syntax_lines(index_file(textwrap.dedent(text).encode()))


def test_missing_colon():
    scores = broken(
        """\
        def f(x):
            y = x * 2
            if y > 3
                return y
            return 0
        """
    )
    assert max(scores, key=lambda n: (scores[n], -n)) == 3
    assert scores[3] == 1.0 and scores[2] < 1.0 and scores[4] < 1.0


def test_unclosed_bracket_flags_opener_and_where_the_closer_belongs():
    scores = broken(
        """\
        def f(items):
            total = sum([
                item.price
                for item in items
            return total
        """
    )
    assert scores[2] == 1.0
    assert scores[4] == 0.8  # last line indented under the opener


def test_mismatched_bracket_names_both_lines():
    scores = broken(
        """\
        values = (1,
                  2]
        """
    )
    assert scores[1] == 1.0 and scores[2] == 1.0


def test_clean_file_has_no_syntax_suspicions():
    assert broken("def f():\n    return 1\n") == {}
