"""A file that does not compile gets line-based syntax repairs, and only compiling ones."""

from __future__ import annotations

from textwrap import dedent

import pytest
from helpers_mutation import PATH, propose

from treefix.code.syntax import has_syntax_error
from treefix.propose.mutate.broken import line_diff
from treefix.propose.mutate.repair import scan

CASES = [
    pytest.param(
        """\
        def sign(x):
            if x > 0
                return 1
            return -1
        """,
        2,
        """\
        def sign(x):
            if x > 0:
                return 1
            return -1
        """,
        id="missing-colon",
    ),
    pytest.param(
        """\
        def hyp(a, b):
            c = (a ** 2 + b ** 2
            return c ** 0.5
        """,
        2,
        """\
        def hyp(a, b):
            c = (a ** 2 + b ** 2)
            return c ** 0.5
        """,
        id="unbalanced-paren",
    ),
    pytest.param(
        """\
        def is_one(x):
            if x = 1:
                return True
            return False
        """,
        2,
        """\
        def is_one(x):
            if x == 1:
                return True
            return False
        """,
        id="assign-in-condition",
    ),
    pytest.param(
        """\
        def small(x):
            while x =< 10:
                x += 1
            return x
        """,
        2,
        """\
        def small(x):
            while x <= 10:
                x += 1
            return x
        """,
        id="reversed-operator",
    ),
    pytest.param(
        """\
        def pick(xs):
            for x in xs:
                if x:
                    return x
                else:
                    continue
                    else:
                return None
        """,
        7,
        """\
        def pick(xs):
            for x in xs:
                if x:
                    return x
                else:
                    continue
            else:
                return None
        """,
        id="wrong-indent",
    ),
    pytest.param(
        """\
        def total(xs):
            s = sum(xs))
            return s
        """,
        2,
        """\
        def total(xs):
            s = sum(xs)
            return s
        """,
        id="stray-closer",
    ),
    pytest.param(
        """\
        def first(xs):
            retrun xs[0]
        """,
        2,
        """\
        def first(xs):
            return xs[0]
        """,
        id="keyword-typo",
    ),
    pytest.param(
        """\
        def area(w, h):
            if w < 0 or h < 0
                raise ValueError("negative"
            return w * h
        """,
        2,
        """\
        def area(w, h):
            if w < 0 or h < 0:
                raise ValueError("negative")
            return w * h
        """,
        id="two-errors",
    ),
]


@pytest.mark.parametrize(("source", "line", "fixed"), CASES)
def test_syntax_error_gets_the_intended_repair(source: str, line: int, fixed: str) -> None:
    state, cands = propose(source, line)
    assert cands
    texts = [state.derive(c.edits).read(PATH).decode() for c in cands]
    assert dedent(fixed) in texts
    assert all(c.operator == "syntax" for c in cands)
    assert all(not has_syntax_error(t.encode()) for t in texts)
    assert all(0 < c.prior <= 1 for c in cands)


def test_repair_found_even_when_the_focus_is_a_neighbour() -> None:
    # The localiser may blame the line after: the compiler's own line is tried too.
    src = """\
    def half(x):
        y = (x / 2
        return y
    """
    state, cands = propose(src, 3)
    texts = [state.derive(c.edits).read(PATH).decode() for c in cands]
    assert dedent(src).replace("(x / 2", "(x / 2)") in texts


def test_top_candidate_is_the_obvious_fix() -> None:
    src = """\
    def sign(x):
        if x > 0
            return 1
        return -1
    """
    state, cands = propose(src, 2)
    assert state.derive(cands[0].edits).read(PATH).decode() == dedent(src).replace("0\n", "0:\n", 1)


def test_scan_sees_brackets_strings_and_comments() -> None:
    s = scan("f(a, '(', [1, 2) # )")
    assert [c for _, c in s.unclosed] == ["(", "["]  # the `)` closes neither: it is stray
    assert s.stray == [15]
    assert s.comment == 17
    assert scan('x = "abc').quote == '"'


def test_line_diff_is_one_whole_line_edit() -> None:
    old = b"a = 1\nb = 2\nc = 3\n"
    new = b"a = 1\nb = 22\nc = 3\n"
    start, end, text = line_diff(old, new)
    assert old[:start] + text.encode() + old[end:] == new
    assert (start, end, text) == (6, 11, "b = 22")
