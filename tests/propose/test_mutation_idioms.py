"""Python-specific slips (`mutate.idioms`): each family proposes the fix of the slip as exact
source text among the first candidates for its line, and stays quiet where the shape is legal."""

from __future__ import annotations

import pytest
from helpers_mutation import assert_proposed, rank_of, results

# (buggy source, suspicious line, fixed source, family, the fix's place at most)
CASES = [
    pytest.param(
        """\
        def unique(lst):
            seen = []
            for i in lst:
                if i not in seen:
                    seen += i
            return seen
        """,
        5,
        """\
        def unique(lst):
            seen = []
            for i in lst:
                if i not in seen:
                    seen += [i]
            return seen
        """,
        "wrap",
        3,
        id="wrap-augmented",
    ),
    pytest.param(
        """\
        def grow(acc, item):
            acc = acc + item
            return acc
        """,
        2,
        """\
        def grow(acc, item):
            acc = acc + [item]
            return acc
        """,
        "wrap",
        8,
        id="wrap-accumulator",
    ),
    pytest.param(
        """\
        def shout(s):
            t = s.upper
            return t + "!"
        """,
        2,
        """\
        def shout(s):
            t = s.upper()
            return t + "!"
        """,
        "callfix",
        1,
        id="callfix-missing-parens",
    ),
    pytest.param(
        """\
        def missing(out, e):
            if out.count[e] == 0:
                return True
            return False
        """,
        2,
        """\
        def missing(out, e):
            if out.count(e) == 0:
                return True
            return False
        """,
        "callfix",
        12,
        id="callfix-subscript-for-call",
    ),
    pytest.param(
        """\
        def total(xs):
            s = sum(xs)
            print(s * 2)
        """,
        3,
        """\
        def total(xs):
            s = sum(xs)
            return s * 2
        """,
        "printret",
        5,
        id="printret",
    ),
    pytest.param(
        """\
        def add(lst, x):
            lst = lst.append(x)
            return lst
        """,
        2,
        """\
        def add(lst, x):
            lst.append(x)
            return lst
        """,
        "inplace",
        1,
        id="inplace-assigned-none",
    ),
    pytest.param(
        """\
        def ordered(lst):
            return lst.sort()
        """,
        2,
        """\
        def ordered(lst):
            return sorted(lst)
        """,
        "inplace",
        1,
        id="inplace-returned-none",
    ),
    pytest.param(
        """\
        def count(xs):
            n = 1
            n == 0
            for x in xs:
                n += 1
            return n
        """,
        3,
        """\
        def count(xs):
            n = 1
            n = 0
            for x in xs:
                n += 1
            return n
        """,
        "eqassign",
        2,
        id="eqassign",
    ),
    pytest.param(
        """\
        def empty(seq):
            if seq == () or []:
                return True
            return False
        """,
        2,
        """\
        def empty(seq):
            if seq == () or seq == []:
                return True
            return False
        """,
        "orchain",
        8,
        id="orchain",
    ),
]


@pytest.mark.parametrize(("buggy", "line", "fixed", "family", "within"), CASES)
def test_family_proposes_the_fix(buggy: str, line: int, fixed: str, family: str, within: int):
    assert_proposed(buggy, line, fixed, family, within)


def _families(source: str, line: int) -> set[str]:
    return {c.operator for c in results(source, line).values()}


def test_no_wrap_for_numbers_or_strings_added():
    source = """\
    def f(n, s):
        n += 1
        s += "x"
        return n, s
    """
    found = results(source, 2, 3)
    assert not any(c.operator == "wrap" for c in found.values())


def test_no_callfix_on_assignment_target_or_called_method():
    source = """\
    def f(obj, s):
        obj.size = s.strip()
        return obj
    """
    assert "callfix" not in _families(source, 2)


def test_plain_field_read_is_a_late_callfix():
    # `p.x` is never called anywhere: adding `()` stays behind the missing call of a method.
    source = """\
    def f(p, s):
        return p.x + s.lower
    """
    found = [c for c in results(source, 2).values() if c.operator == "callfix"]
    assert [c.description.split("`")[3] for c in found][:1] == ["s.lower()"]
    assert found[0].prior > 2 * found[-1].prior


def test_no_eqassign_or_orchain_on_legal_conditions():
    source = """\
    def f(x, y):
        if x == 1 or y:
            return x == y
        return False
    """
    assert not {"eqassign", "orchain"} & (_families(source, 2) | _families(source, 3))


def test_print_outside_a_function_is_not_returned():
    assert "printret" not in _families("x = 1\nprint(x)\n", 2)


UNBOUND = [
    pytest.param(
        """\
        def unique_day(date, days):
            n = 0
            for d in days:
                if d[1] == day:
                    n += 1
            return n == 1
        """,
        4,
        """\
        def unique_day(date, days):
            n = 0
            for d in days:
                if d[1] == date:
                    n += 1
            return n == 1
        """,
        2,
        id="unbound-read-to-parameter",
    ),
    pytest.param(
        """\
        def unique_day(date, days):
            n = 0
            for d in days:
                if d[1] == day:
                    n += 1
            return n == 1
        """,
        4,
        """\
        def unique_day(day, days):
            n = 0
            for d in days:
                if d[1] == day:
                    n += 1
            return n == 1
        """,
        6,
        id="unused-parameter-renamed",
    ),
    pytest.param(
        """\
        def top(lst, k):
            new_list = lst.copy()
            new_list.pop()
            return top(new_lst, k - 1)
        """,
        4,
        """\
        def top(lst, k):
            new_list = lst.copy()
            new_list.pop()
            return top(new_list, k - 1)
        """,
        1,
        id="unbound-misspelt",
    ),
    pytest.param(
        """\
        def dedupe(lst):
            return lists(dict.fromkeys(lst))
        """,
        2,
        """\
        def dedupe(lst):
            return list(dict.fromkeys(lst))
        """,
        1,
        id="unbound-callee-to-builtin",
    ),
    pytest.param(
        """\
        def total(lst):
            s = 0
            for number in list:
                s += number
            return s
        """,
        3,
        """\
        def total(lst):
            s = 0
            for number in lst:
                s += number
            return s
        """,
        1,
        id="builtin-iterated-for-variable",
    ),
]


@pytest.mark.parametrize(("buggy", "line", "fixed", "within"), UNBOUND)
def test_unbound_name_gets_a_name_in_scope(buggy: str, line: int, fixed: str, within: int):
    assert_proposed(buggy, line, fixed, "undefined", within)


def test_bound_names_and_higher_order_builtins_are_left_to_rename():
    source = """\
    def f(xs, n):
        ys = list(map(str, xs))
        return ys[:n]
    """
    assert "undefined" not in _families(source, 2) | _families(source, 3)


def test_no_wrap_of_a_number_accumulator():
    source = """\
    def running(xs):
        total = 0
        for x in xs:
            total += x
        return total
    """
    assert "wrap" not in _families(source, 4)


def test_unbound_name_used_twice_is_renamed_everywhere_at_once():
    rank, cand = rank_of(
        """\
        def sort_age(lst):
            smallest = a[0]
            for element in a:
                if element[1] < smallest[1]:
                    smallest = element
            return smallest
        """,
        2,
        """\
        def sort_age(lst):
            smallest = lst[0]
            for element in lst:
                if element[1] < smallest[1]:
                    smallest = element
            return smallest
        """,
    )
    assert cand.operator == "undefined"
    assert rank <= 3, (rank, cand.description)


def test_loopexit_moves_the_else_return_after_the_loop():
    rank, cand = rank_of(
        """\
        def search(x, seq):
            for i, elem in enumerate(seq):
                if x <= elem:
                    return i
                else:
                    return len(seq)
        """,
        6,
        """\
        def search(x, seq):
            for i, elem in enumerate(seq):
                if x <= elem:
                    return i
            return len(seq)
        """,
    )
    assert cand.operator == "loopexit"
    assert rank <= 3, (rank, cand.description)


def test_loopexit_keeps_the_rest_of_the_loop_body():
    rank, cand = rank_of(
        """\
        def first_big(xs):
            n = 0
            for x in xs:
                if x > 9:
                    return x
                else:
                    return None
                n += 1
            return n
        """,
        4,
        """\
        def first_big(xs):
            n = 0
            for x in xs:
                if x > 9:
                    return x
                n += 1
            return None
            return n
        """,
    )
    assert cand.operator == "loopexit"


def test_no_loopexit_outside_a_loop_or_for_a_longer_else():
    outside = """\
    def sign(x):
        if x > 0:
            return 1
        else:
            return -1
    """
    longer = """\
    def f(xs):
        for x in xs:
            if x:
                return x
            else:
                print(x)
                return 0
    """
    assert "loopexit" not in _families(outside, 2)
    assert "loopexit" not in _families(longer, 3)
