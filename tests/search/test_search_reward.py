"""Partial credit: a candidate that moves a failing assertion's actual value toward the expected
one, or passes more parametrised cases, scores above one that changes nothing."""

from __future__ import annotations

import pytest

from treefix.search.distance import assertion_distance, distance, parse_comparison
from treefix.search.reward import PARTIAL_CLOSER, Baseline, score
from treefix.types import Status, TestOutcome, TestReport


def _report(messages: dict[str, str]) -> TestReport:
    """messages: test id -> "" (passed) or its failure message."""
    tests = {n: TestOutcome(n, "failed" if m else "passed", m) for n, m in messages.items()}
    failed = any(messages.values())
    return TestReport(Status.FAILED if failed else Status.PASSED, int(failed), 0.1, tests=tests)


@pytest.mark.parametrize(
    ("message", "sides"),
    [
        ("AssertionError: assert 7 == 10", (7, 10)),
        ("assert 'abc' == 'abd'", ("abc", "abd")),
        ("AssertionError: assert [1, 2] == [1, 3]", ([1, 2], [1, 3])),
        ("AssertionError: assert {'a': 1} == {'a': 2}\n +  where ...", ({"a": 1}, {"a": 2})),
        ("AssertionError: assert 3 < 2", None),  # not an equality
        ("AssertionError: assert <Obj at 0x1> == <Obj at 0x2>", None),  # not literals
        ("ZeroDivisionError: division by zero", None),
        ("", None),
    ],
)
def test_the_two_sides_of_an_equality_assertion_are_read(message, sides):
    assert parse_comparison(message) == sides


def test_distances_are_normalised_and_order_closeness():
    assert distance(10, 10) == 0.0
    assert 0 < distance(9, 10) < distance(7, 10) < distance(-10, 10) == 1.0
    assert 0 < distance("hello world", "hello worle") < distance("hxllo wxrld", "hello world")
    assert distance([1, 2, 3], [1, 2, 4]) < distance([1, 9, 9], [1, 2, 4])
    assert distance([1, 2], [1, 2, 3]) < 1.0  # one missing item: mostly aligned
    assert distance({1, 2}, {2, 3}) == pytest.approx(2 / 3)
    assert distance(True, False) == 1.0 and distance("1", 1) == 1.0
    for a, b in [(0, 1e300), ("", "x"), ([], [1]), ({}, {"k": 1}), (float("nan"), 1.0)]:
        assert 0.0 <= distance(a, b) <= 1.0


def test_a_value_moving_toward_the_expected_one_earns_credit_in_proportion():
    base = Baseline(_report({"t": "AssertionError: assert 7 == 10"}), ["t"])
    closer = score(_report({"t": "AssertionError: assert 9 == 10"}), base).reward
    closest = score(_report({"t": "AssertionError: assert 9.9 == 10"}), base).reward
    farther = score(_report({"t": "AssertionError: assert 3 == 10"}), base).reward
    unchanged = score(_report({"t": "AssertionError: assert 7 == 10"}), base).reward
    assert unchanged == 0.0
    assert farther <= 0.05  # moved away: at most the "something changed" credit
    assert farther < closer < closest < PARTIAL_CLOSER < 0.5
    assert score(_report({"t": ""}), base).reward == 1.0


def test_closer_strings_and_lists_climb_too():
    base = Baseline(_report({"t": "assert 'hello' == 'Hello World'"}), ["t"])
    assert score(_report({"t": "assert 'Hello' == 'Hello World'"}), base).reward > 0.05
    lists = Baseline(_report({"t": "assert [0, 0, 0] == [1, 2, 3]"}), ["t"])
    assert score(_report({"t": "assert [1, 2, 0] == [1, 2, 3]"}), lists).reward > 0.05


def test_parametrised_cases_passed_count_one_by_one():
    ids = [f"test_m.py::test_f[{i}]" for i in range(4)]
    base = Baseline(_report({i: "AssertionError: assert 0 == 1" for i in ids}), ids)
    half = score(
        _report({i: "" if n < 2 else "AssertionError: assert 0 == 1" for n, i in enumerate(ids)}),
        base,
    )
    assert half.fixed == 2 and half.reward == pytest.approx(0.5) and not half.plausible


def test_assertion_distance_of_a_message_without_one_is_none():
    assert assertion_distance("TypeError: unsupported operand") is None
