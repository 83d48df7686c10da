"""A wrong condition: the branch it wrongly enters scores high, the condition itself - run by
every test - low; the decision takes most of its branch's score."""

from __future__ import annotations

import textwrap

from tests.localize import baselines
from tests.localize.baselines import failed_run
from treefix.code.syntax import parse
from treefix.localize import localize
from treefix.localize.statements import deciding
from treefix.types import ProgramState
from treefix.types import TestOutcome as Outcome

SHIPPING = textwrap.dedent(
    """
    def shipping(total):
        cost = 5
        if total >= 100:
            cost = 0
        return cost
    """
).lstrip("\n")
TEST = "tests/test_shipping.py"


def line_of(needle: str) -> int:
    return baselines.line_of(SHIPPING, needle)


def test_the_wrong_condition_ranks_right_after_the_branch_it_chose():
    # shipping(100) should cost 5: the boundary is wrong. One passing test enters the branch
    # (150), three do not (50, 20, 30): the branch scores 0.71, the condition 0.45.
    outside = [line_of("cost = 5"), line_of("if total"), line_of("return cost")]
    inside = [*outside, line_of("cost = 0")]
    target = f"{TEST}::test_exactly_one_hundred_pays_shipping"
    coverage = {target: {"shop.py": inside}, f"{TEST}::test_150": {"shop.py": inside}}
    outcomes = [
        Outcome(target, "failed", "AssertionError: assert 0 == 5"),
        Outcome(f"{TEST}::test_150", "passed"),
    ]
    for total in (50, 20, 30):
        coverage[f"{TEST}::test_{total}"] = {"shop.py": outside}
        outcomes.append(Outcome(f"{TEST}::test_{total}", "passed"))
    baseline = failed_run(outcomes, coverage)
    result = localize(ProgramState({"shop.py": SHIPPING.encode()}), baseline, [target])
    score = {s.line: s.score for s in result}
    # Without the decision's share the condition ties the lines every test ran and line order
    # puts `cost = 5` before it; with it, it is second only to the branch it chose.
    assert [s.line for s in result[:2]] == [line_of("cost = 0"), line_of("if total")]
    assert score[line_of("return cost")] < score[line_of("if total")] < score[line_of("cost = 0")]


def test_the_decision_of_a_statement():
    source = b"def f(x):\n    a = 1\n    if x:\n        b = 2\n    elif y:\n        c = 3\n"
    source += b"    else:\n        d = 4\n    while x:\n        e = 5\n"
    body = parse(source).root_node.children[0].child_by_field_name("body")
    assert body is not None

    def stmt(text: bytes):
        return next(n for n in _walk(body) if n.type == "expression_statement" and n.text == text)

    assert deciding(stmt(b"a = 1")) is None
    for text, header in ((b"b = 2", b"if x:"), (b"c = 3", b"elif y:"), (b"d = 4", b"if x:")):
        found = deciding(stmt(text))
        assert found is not None and (found.text or b"").startswith(header), text
    found = deciding(stmt(b"e = 5"))
    assert found is not None and found.type == "while_statement"


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)
