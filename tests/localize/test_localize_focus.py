"""The statement tie-break: among statements the spectrum cannot tell apart, the one the failing
test function talks about comes first."""

from __future__ import annotations

import textwrap

from tests.localize import baselines
from tests.localize.baselines import failed_run
from treefix.code.syntax import parse
from treefix.localize import localize
from treefix.localize.focus import focus_tokens, statement_text
from treefix.localize.statements import index_file
from treefix.types import ProgramState
from treefix.types import TestOutcome as Outcome

SHOP = textwrap.dedent(
    """
    def checkout(cart, user):
        subtotal = sum(item.price for item in cart)
        shipping = 0 if subtotal > 50 else 5
        tax = round(subtotal * 0.2, 2)
        points = len(cart) * 10
        user.points += points
        discount = subtotal * user.discount_rate if not user.member else 0
        return subtotal + shipping + tax - discount
    """
).lstrip("\n")
TESTS = textwrap.dedent(
    """
    from shop import checkout, Item, User


    class TestCheckout:
        def test_points_are_earned(self):
            user = User(points=0)
            checkout([Item(10)], user)
            assert user.points == 10

        def test_member_discount_is_applied(self):
            member = User(member=True, discount_rate=0.1)
            assert checkout([Item(100)], member) == 110.0
    """
).lstrip("\n")
TARGET = "tests/test_shop.py::TestCheckout::test_member_discount_is_applied"


def line_of(needle: str) -> int:
    return baselines.line_of(SHOP, needle)


def test_the_statement_the_failing_test_names_breaks_the_spectrums_tie():
    # One failing test ran every line and no passing test has coverage: Ochiai ties them all,
    # and the function's words are the same for each. The test's own words name the discount.
    ran = list(range(2, len(SHOP.splitlines()) + 1))
    outcome = Outcome(
        TARGET,
        "failed",
        "AssertionError: assert 120.0 == 110.0",
        frames=[("tests/test_shop.py", 12)],
    )
    baseline = failed_run([outcome], {TARGET: {"shop.py": ran}})
    state = ProgramState({"shop.py": SHOP.encode(), "tests/test_shop.py": TESTS.encode()})
    result = localize(state, baseline, [TARGET])
    assert {s.score for s in result} == {result[0].score}  # the tie this is about
    assert (result[0].path, result[0].line) == ("shop.py", line_of("discount ="))


def test_focus_is_the_named_test_methods_own_words():
    index = index_file(TESTS.encode())
    words = focus_tokens([TARGET], lambda path: index if path == "tests/test_shop.py" else None)
    assert {"member", "discount", "rate", "applied"} <= words
    assert "earned" not in words  # the sibling test's words are not this test's


def test_a_compound_statements_text_is_its_header():
    node = parse(b"if user.member:\n    apply(discount)\n").root_node.children[0]
    assert statement_text(node) == b"if user.member:"


def test_the_test_method_of_the_named_class_is_the_one_read():
    from treefix.localize.focus import test_source

    source = b"class A:\n    def test_x(self):\n        alpha = 1\n\n"
    source += b"class B:\n    @mark\n    def test_x(self):\n        beta = 2\n"
    index = index_file(source)
    assert b"beta" in (test_source(index, "t.py::B::test_x") or b"")
    assert b"alpha" in (test_source(index, "t.py::A::test_x") or b"")
    assert test_source(index, "t.py::test_missing") is None


OPERATION = textwrap.dedent(
    """
    def operation(route):
        op = {}
        op["summary"] = route.summary
        op["tags"] = list(route.tags)
        op["parameters"] = route.params + route.shared_params
        return op
    """
).lstrip("\n")


def test_the_statement_the_failure_names_breaks_the_tie():
    # The test only calls the function and compares a dict; its failure names the wrong key.
    target = "tests/test_api.py::test_read_item"
    detail = (
        "E   AssertionError: assert {'parameters': [{'name': 'id'}, {'name': 'id'}]} == "
        "{'parameters': [{'name': 'id'}]}"
    )
    lines = OPERATION.splitlines()
    outcome = Outcome(target, "failed", detail.split("   ", 1)[1], detail=detail)
    baseline = failed_run([outcome], {target: {"api.py": list(range(2, len(lines) + 1))}})
    state = ProgramState(
        {"api.py": OPERATION.encode(), "tests/test_api.py": b"def test_read_item(): ...\n"}
    )
    result = localize(state, baseline, [target])
    assert len({s.score for s in result}) == 1
    want = next(n for n, line in enumerate(lines, 1) if '"parameters"' in line)
    assert (result[0].path, result[0].line) == ("api.py", want)
