"""New-expression templates (`mutate.templates`) and the data-flow priors of moves
(`mutate.placement`): each proposes its fix as exact source text among the first candidates for
its line, and stays quiet where the shape is absent."""

from __future__ import annotations

import pytest
from helpers_mutation import assert_proposed, propose, raised, rank_of, results

from treefix.protocols import Feedback

# (buggy source, suspicious line, fixed source, family, the fix's place at most)
CASES = [
    pytest.param(
        """\
        def top(lst):
            best = lst[0]
            for i in lst:
                if i[1] > best[1]:
                    best = i
            return best
        """,
        4,
        """\
        def top(lst):
            best = lst[0]
            for i in lst:
                if i > best:
                    best = i
            return best
        """,
        "keycmp",
        10,
        id="keycmp-drop-field",
    ),
    pytest.param(
        """\
        def oldest(people):
            best = people[0]
            for p in people:
                if p > best:
                    best = p
            return best[1]
        """,
        4,
        """\
        def oldest(people):
            best = people[0]
            for p in people:
                if p[1] > best[1]:
                    best = p
            return best[1]
        """,
        "keycmp",
        10,
        id="keycmp-add-field-in-use",
    ),
    pytest.param(
        """\
        def smallest(pairs):
            low = pairs[0]
            for p in pairs:
                if p[1] < low:
                    low = p
            return low
        """,
        4,
        """\
        def smallest(pairs):
            low = pairs[0]
            for p in pairs:
                if p[1] < low[1]:
                    low = p
            return low
        """,
        "keycmp",
        10,
        id="keycmp-complete-one-side",
    ),
    pytest.param(
        """\
        def top_k(lst, k):
            lst = sorted(lst, reverse=True)
            return lst[:3]
        """,
        3,
        """\
        def top_k(lst, k):
            lst = sorted(lst, reverse=True)
            return lst[:k]
        """,
        "litname",
        3,
        id="litname-unused-parameter",
    ),
    pytest.param(
        """\
        def top_k(lst, k):
            lst = sorted(lst, reverse=True)
            return lst[0:5]
        """,
        3,
        """\
        def top_k(lst, k):
            lst = sorted(lst, reverse=True)
            return lst[:k]
        """,
        "litname",
        5,
        id="litname-slice-from-zero",
    ),
    pytest.param(
        """\
        def search(x, seq):
            if seq == ():
                return 0
            return len([e for e in seq if e < x])
        """,
        2,
        """\
        def search(x, seq):
            if not seq:
                return 0
            return len([e for e in seq if e < x])
        """,
        "empty",
        6,
        id="empty-not",
    ),
    pytest.param(
        """\
        def search(x, seq):
            if seq == ():
                return 0
            return len([e for e in seq if e < x])
        """,
        2,
        """\
        def search(x, seq):
            if seq == () or seq == []:
                return 0
            return len([e for e in seq if e < x])
        """,
        "empty",
        12,
        id="empty-either-type",
    ),
    pytest.param(
        """\
        def sort_age(lst):
            out = []
            while lst:
                for i in range(len(lst)):
                    oldest = lst[0]
                    if lst[i][1] > oldest[1]:
                        oldest = lst[i]
                lst.remove(oldest)
                out.append(oldest)
            return out
        """,
        5,
        """\
        def sort_age(lst):
            out = []
            while lst:
                oldest = lst[0]
                for i in range(len(lst)):
                    if lst[i][1] > oldest[1]:
                        oldest = lst[i]
                lst.remove(oldest)
                out.append(oldest)
            return out
        """,
        "move",
        3,
        id="move-reset-out-of-loop",
    ),
    pytest.param(
        """\
        def by_age(lst):
            s = []
            while lst:
                low = min(lst)
                lst.remove(low)
                s.append(low)
                s.reverse()
            return s
        """,
        7,
        """\
        def by_age(lst):
            s = []
            while lst:
                low = min(lst)
                lst.remove(low)
                s.append(low)
            s.reverse()
            return s
        """,
        "move",
        3,
        id="move-finishing-step-after-loop",
    ),
    pytest.param(
        """\
        def dedupe(lst):
            fresh = True
            out = []
            for i in lst:
                for j in out:
                    if j == i:
                        fresh = False
                if fresh:
                    out.append(i)
            return out
        """,
        2,
        """\
        def dedupe(lst):
            out = []
            for i in lst:
                fresh = True
                for j in out:
                    if j == i:
                        fresh = False
                if fresh:
                    out.append(i)
            return out
        """,
        "move",
        3,
        id="move-flag-reset-into-later-loop",
    ),
    pytest.param(
        """\
        def top_k(lst, k):
            out = []
            while k > 0:
                lst.remove(max(lst))
                out.append(max(lst))
                k = k - 1
            return out
        """,
        4,
        """\
        def top_k(lst, k):
            out = []
            while k > 0:
                out.append(max(lst))
                lst.remove(max(lst))
                k = k - 1
            return out
        """,
        "move",
        3,
        id="move-read-before-destroy",
    ),
    pytest.param(
        """\
        def first(lst):
            head = [lst[0]]
            if lst == []:
                return []
            return head
        """,
        2,
        """\
        def first(lst):
            if lst == []:
                return []
            head = [lst[0]]
            return head
        """,
        "move",
        3,
        id="move-read-after-guard",
    ),
]


@pytest.mark.parametrize("source,line,fixed,family,place", CASES)
def test_template_proposes_the_fix_early(source, line, fixed, family, place):
    assert_proposed(source, line, fixed, family, place)


def _families(source: str, line: int) -> set[str]:
    return {c.operator for c in results(source, line).values()}


def test_keycmp_leaves_numbers_alone():
    source = """\
    def count(xs, limit):
        n = 0
        for x in xs:
            if x > 10:
                n += 1
        return n
    """
    assert "keycmp" not in _families(source, 4)


def test_litname_needs_a_parameter_and_skips_zero():
    no_params = """\
    def first_three():
        return list(range(10))[:3]
    """
    assert "litname" not in _families(no_params, 2)
    zero = """\
    def head(lst, k):
        return lst[0]
    """
    assert "litname" not in _families(zero, 2)


def test_empty_only_for_empty_literals():
    source = """\
    def f(seq):
        if seq == (1, 2):
            return 0
        return 1
    """
    assert "empty" not in _families(source, 2)


def test_empty_keeps_the_meaning_inside_a_boolean_expression():
    source = """\
    def f(seq, x):
        if x and seq == ():
            return 0
        return 1
    """
    found = results(source, 2)
    texts = [t for t, c in found.items() if c.operator == "empty"]
    assert any("if x and (seq == () or seq == []):" in t for t in texts), texts
    assert any("if x and (not seq):" in t for t in texts), texts


def test_a_reset_that_reads_the_loop_variable_is_not_pushed_out():
    # `cur = item` depends on the loop's own variable: moving it out is no likelier than any move
    source = """\
    def last(items):
        cur = None
        for item in items:
            cur = item
            cur = cur + 1
        return cur
    """
    _, cands = propose(source, 4)
    out = [c for c in cands if c.operator == "move" and "out of and before" in c.description]
    plain = [c for c in cands if c.operator == "move" and c.description.endswith(" down")]
    assert out and plain
    assert out[0].prior <= plain[0].prior


INSERTIONS = [
    pytest.param(
        """\
        def search(x, seq):
            for elem in seq:
                if x <= elem:
                    break
                position += 1
            return position
        """,
        5,
        """\
        def search(x, seq):
            position = 0
            for elem in seq:
                if x <= elem:
                    break
                position += 1
            return position
        """,
        "init",
        3,
        id="init-count",
    ),
    pytest.param(
        """\
        def sort_age(lst):
            while lst:
                oldest = max(lst)
                lst.remove(oldest)
                out.append(oldest)
            return out
        """,
        5,
        """\
        def sort_age(lst):
            out = []
            while lst:
                oldest = max(lst)
                lst.remove(oldest)
                out.append(oldest)
            return out
        """,
        "init",
        3,
        id="init-list",
    ),
    pytest.param(
        """\
        def any_unique(month, days):
            for d in days:
                if d[0] == month:
                    found = found or d[1] == 1
            return found
        """,
        4,
        """\
        def any_unique(month, days):
            found = False
            for d in days:
                if d[0] == month:
                    found = found or d[1] == 1
            return found
        """,
        "init",
        3,
        id="init-flag",
    ),
    pytest.param(
        """\
        def sort_age(lst):
            out = []
            while lst:
                low = min(lst)
                lst.remove(low)
                out.append(low)
            return out
        """,
        7,
        """\
        def sort_age(lst):
            out = []
            while lst:
                low = min(lst)
                lst.remove(low)
                out.append(low)
            out.reverse()
            return out
        """,
        "order",
        6,
        id="order-reverse-before-return",
    ),
]


@pytest.mark.parametrize("source,line,fixed,family,place", INSERTIONS)
def test_insertion_proposes_the_fix_early(source, line, fixed, family, place):
    assert_proposed(source, line, fixed, family, place)


def test_init_only_for_names_nothing_sets_before():
    source = """\
    def total(xs):
        n = 0
        for x in xs:
            n += x
        squares = [y * y for y in xs]
        return n, squares
    """
    assert "init" not in _families(source, 4)
    assert "init" not in _families(source, 5)


def test_order_only_for_a_list_the_function_builds():
    source = """\
    def largest(xs):
        best = max(xs)
        return best
    """
    assert "order" not in _families(source, 3)


ENDINGS = [
    pytest.param(
        """\
        def top_k(lst, k):
            counter = 0
            new_lst = []
            while counter < k:
                maxi = max(lst)
                new_lst.append(maxi)
                lst.remove(maxi)
                counter += 1
        """,
        8,
        """\
        def top_k(lst, k):
            counter = 0
            new_lst = []
            while counter < k:
                maxi = max(lst)
                new_lst.append(maxi)
                lst.remove(maxi)
                counter += 1
            return new_lst
        """,
        3,
        id="return-the-built-list",
    ),
    pytest.param(
        """\
        def unique_month(month, births):
            b = []
            for m, d in births:
                b.append(m)
            if b.count(month) == 1:
                return True
        """,
        6,
        """\
        def unique_month(month, births):
            b = []
            for m, d in births:
                b.append(m)
            if b.count(month) == 1:
                return True
            return False
        """,
        3,
        id="return-the-opposite-literal",
    ),
    pytest.param(
        """\
        def search(x, seq):
            index = 0

            def helper(index):
                if index >= len(seq) or x <= seq[index]:
                    return index
                return helper(index + 1)
        """,
        2,
        """\
        def search(x, seq):
            index = 0

            def helper(index):
                if index >= len(seq) or x <= seq[index]:
                    return index
                return helper(index + 1)
            return helper(index)
        """,
        4,
        id="return-the-uncalled-helper",
    ),
    pytest.param(
        """\
        def search(x, seq):
            for i, elem in enumerate(seq):
                if x <= elem:
                    return i
        """,
        4,
        """\
        def search(x, seq):
            for i, elem in enumerate(seq):
                if x <= elem:
                    return i
            return len(seq)
        """,
        8,
        id="return-past-the-end",
    ),
]


def _none_result() -> Feedback:
    """The run's word that the function gave back None where a value was expected."""
    return raised("AssertionError: assert None == [3]")


@pytest.mark.parametrize("source,line,fixed,place", ENDINGS)
def test_missing_return_proposes_the_value_early(source, line, fixed, place):
    assert_proposed(source, line, fixed, "return", place, feedback=_none_result())


def test_a_none_result_puts_the_missing_return_first():
    source = ENDINGS[0].values[0]
    fixed = ENDINGS[0].values[2]
    plain, _ = rank_of(source, 8, fixed)
    told, _ = rank_of(source, 8, fixed, feedback=_none_result())
    assert told < plain


SLIPS = [
    pytest.param(
        """\
        def dedupe(lst):
            result = []
            for i in lst:
                if i not in result:
                    result += result + i
            return result
        """,
        5,
        """\
        def dedupe(lst):
            result = []
            for i in lst:
                if i not in result:
                    result += [i]
            return result
        """,
        "wrap",
        3,
        id="wrap-doubled-accumulator",
    ),
    pytest.param(
        """\
        def top_k(lst, k):
            rs = []
            while len(rs) < k:
                biggest = max(lst)
                rs.append[biggest]
                lst.remove[biggest]
            return rs
        """,
        5,
        """\
        def top_k(lst, k):
            rs = []
            while len(rs) < k:
                biggest = max(lst)
                rs.append(biggest)
                lst.remove(biggest)
            return rs
        """,
        "callfix",
        2,
        id="callfix-every-subscripted-method",
    ),
    pytest.param(
        """\
        def sort_age(lst):
            final = []
            while lst:
                biggest = max(lst)
                lst.remove(biggest)
                final.append(biggest)
                print(final)
        """,
        7,
        """\
        def sort_age(lst):
            final = []
            while lst:
                biggest = max(lst)
                lst.remove(biggest)
                final.append(biggest)
            return final
        """,
        "printret",
        3,
        id="printret-after-the-loop",
    ),
    pytest.param(
        """\
        def search(x, seq):
            for i in len(range(seq)):
                if x <= seq[i]:
                    return i
            return len(seq)
        """,
        2,
        """\
        def search(x, seq):
            for i in range(len(seq)):
                if x <= seq[i]:
                    return i
            return len(seq)
        """,
        "nestswap",
        3,
        id="nestswap",
    ),
    pytest.param(
        """\
        def merge(a, b):
            out = []
            while a and b:
                if a[0] < b[0]:
                    out.append(a.pop())
                else:
                    out.append(b.pop())
            return out + a + b
        """,
        5,
        """\
        def merge(a, b):
            out = []
            while a and b:
                if a[0] < b[0]:
                    out.append(a.pop(0))
                else:
                    out.append(b.pop(0))
            return out + a + b
        """,
        "popend",
        12,
        id="popend-every-place",
    ),
]


@pytest.mark.parametrize("source,line,fixed,family,place", SLIPS)
def test_slip_proposes_the_fix_early(source, line, fixed, family, place):
    assert_proposed(source, line, fixed, family, place)


def test_no_doubled_wrap_when_the_accumulator_is_a_number():
    source = """\
    def total(xs):
        n = 0
        for x in xs:
            n += n + x
        return n
    """
    found = {t: c for t, c in results(source, 4).items() if c.operator == "wrap"}
    assert found and all("[x]" not in t for t in found), found
    assert any("n += x\n" in t for t in found), found


def test_printret_stays_in_a_loop_with_an_else():
    source = """\
    def f(xs):
        out = []
        for x in xs:
            out.append(x)
            print(out)
        else:
            pass
    """
    found = [c for c in results(source, 5).values() if c.operator == "printret"]
    assert found and not any("after the loop" in c.description for c in found)


def test_leak_reads_the_picked_name_at_every_read_past_the_loop():
    source = """\
    def top_k(lst, k):
        out = []
        while lst:
            largest = lst[0]
            for n in lst:
                if n > largest:
                    largest = n
            out.append(n)
            lst.remove(n)
        return out[:k]
    """
    fixed = """\
    def top_k(lst, k):
        out = []
        while lst:
            largest = lst[0]
            for n in lst:
                if n > largest:
                    largest = n
            out.append(largest)
            lst.remove(largest)
        return out[:k]
    """
    rank, cand = rank_of(source, 8, fixed)
    assert cand.operator == "leak" and rank <= 2, (rank, cand.description)


def test_no_leak_when_the_name_is_bound_again_after_the_loop():
    source = """\
    def f(xs):
        best = 0
        for n in xs:
            best = n
        n = best * 2
        return n
    """
    assert "leak" not in _families(source, 6)


def test_a_printed_result_is_returned_instead_not_after_the_print():
    source = """\
    def sort_age(lst):
        out = []
        while lst:
            oldest = max(lst)
            lst.remove(oldest)
            out.append(oldest)
        print(out)
    """
    fixed = """\
    def sort_age(lst):
        out = []
        while lst:
            oldest = max(lst)
            lst.remove(oldest)
            out.append(oldest)
        return out
    """
    rank, cand = rank_of(source, 7, fixed, feedback=_none_result())
    assert cand.operator == "printret" and rank == 1, (rank, cand.description)
    texts = results(source, 7, feedback=_none_result())
    assert not any(t.endswith("print(out)\n    return out\n") for t in texts), list(texts)
