"""The families beyond the first 13 (donor code, TBar-style fix patterns): each proposes the fix of
a bug people actually make, as exact source text, among the first candidates for its line."""

from __future__ import annotations

import pytest
from helpers_mutation import assert_proposed, raised, rank_of

# (buggy source, suspicious line, fixed source, family, the fix's place at most, what the
# failing test raised: "" for a plain assertion failure)
CASES = [
    pytest.param(
        """\
        def drain(queue):
            pending = list(queue)
            done = []
            while True:
                done.append(pending.pop())
            return done
        """,
        4,
        """\
        def drain(queue):
            pending = list(queue)
            done = []
            while pending:
                done.append(pending.pop())
            return done
        """,
        "ingredient",
        5,
        "IndexError: pop from empty list",
        id="ingredient-loop-condition",
    ),
    pytest.param(
        """\
        def names(lines):
            out = []
            for line in lines:
                if line.strip():
                    out.append(line)
            return out
        """,
        5,
        """\
        def names(lines):
            out = []
            for line in lines:
                if line.strip():
                    out.append(line.strip())
            return out
        """,
        "ingredient",
        10,
        "",
        id="ingredient-argument",
    ),
    pytest.param(
        """\
        class Account:
            def __init__(self, balance, rate):
                self.balance = balance
                self.rate = rate

            def interest(self, years):
                return self.balance * rate * years
        """,
        7,
        """\
        class Account:
            def __init__(self, balance, rate):
                self.balance = balance
                self.rate = rate

            def interest(self, years):
                return self.balance * self.rate * years
        """,
        "ingredient",
        15,  # behind the 12 operator swaps of its two `*`
        "NameError: name 'rate' is not defined",
        id="ingredient-operand-from-class",
    ),
    pytest.param(
        """\
        def active_total(rows):
            shown = [r.name for r in rows if r.total > 0]
            total = 0
            for r in rows:
                if r.active:
                    total += r.total
            return total, shown
        """,
        5,
        """\
        def active_total(rows):
            shown = [r.name for r in rows if r.total > 0]
            total = 0
            for r in rows:
                if r.active and r.total > 0:
                    total += r.total
            return total, shown
        """,
        "addcond",
        10,
        "",
        id="addcond-missing-clause",
    ),
    pytest.param(
        """\
        def count_from(xs, i):
            if i >= len(xs):
                return 0
            return 1 + count_from(xs, i)
        """,
        4,
        """\
        def count_from(xs, i):
            if i >= len(xs):
                return 0
            return 1 + count_from(xs, i + 1)
        """,
        "offbyone",
        6,
        "RecursionError: maximum recursion depth exceeded in comparison",
        id="offbyone-recursive-call",
    ),
    pytest.param(
        """\
        def scale(point, factor=1):
            return (point[0] * factor, point[1] * factor)


        def scale_all(points, factor):
            return [scale(p) for p in points]
        """,
        6,
        """\
        def scale(point, factor=1):
            return (point[0] * factor, point[1] * factor)


        def scale_all(points, factor):
            return [scale(p, factor) for p in points]
        """,
        "args",
        10,
        "",
        id="args-added",
    ),
    pytest.param(
        """\
        def join_words(words, sep=" "):
            return sep.join(words)


        def sentence(words):
            return join_words(words, ",") + "."
        """,
        6,
        """\
        def join_words(words, sep=" "):
            return sep.join(words)


        def sentence(words):
            return join_words(words) + "."
        """,
        "args",
        15,
        "",
        id="args-dropped",
    ),
    pytest.param(
        """\
        class Cart:
            def __init__(self):
                self.items = []

            def add(self, item):
                self.items.append(item)

            def remove(self, item):
                self.items.remove(item)

            def take_back(self, item):
                self.add(item)
                return item
        """,
        12,
        """\
        class Cart:
            def __init__(self):
                self.items = []

            def add(self, item):
                self.items.append(item)

            def remove(self, item):
                self.items.remove(item)

            def take_back(self, item):
                self.remove(item)
                return item
        """,
        "attr",
        8,
        "",
        id="sibling-method",
    ),
    pytest.param(
        """\
        def label(n):
            return "item " + n
        """,
        2,
        """\
        def label(n):
            return "item " + str(n)
        """,
        "convert",
        8,
        'TypeError: can only concatenate str (not "int") to str',
        id="convert-str",
    ),
    pytest.param(
        """\
        def indices(items):
            return [i for i in range(items)]
        """,
        2,
        """\
        def indices(items):
            return [i for i in range(len(items))]
        """,
        "convert",
        6,
        "TypeError: 'list' object cannot be interpreted as an integer",
        id="convert-len",
    ),
    pytest.param(
        """\
        def split_name(full):
            first, _, last = full.partition(" ")
            surname = first
            given = last
            return given, surname
        """,
        3,
        """\
        def split_name(full):
            first, _, last = full.partition(" ")
            given = first
            surname = last
            return given, surname
        """,
        "swaptargets",
        15,
        "",
        id="swaptargets-neighbours",
    ),
    pytest.param(
        """\
        class Counter:
            def reset(self, start):
                start = self.value
                return self
        """,
        3,
        """\
        class Counter:
            def reset(self, start):
                self.value = start
                return self
        """,
        "swaptargets",
        12,
        "",
        id="swaptargets-reversed",
    ),
    pytest.param(
        """\
        def running_totals(xs):
            out = []
            total = 0
            for x in xs:
                out.append(total)
                total += x
            return out
        """,
        6,
        """\
        def running_totals(xs):
            out = []
            total = 0
            for x in xs:
                total += x
                out.append(total)
            return out
        """,
        "move",
        15,
        "",
        id="move-up",
    ),
    pytest.param(
        """\
        def total(xs):
            s = 0
            for x in xs:
                s += x
                return s
        """,
        5,
        """\
        def total(xs):
            s = 0
            for x in xs:
                s += x
            return s
        """,
        "move",
        15,
        "",
        id="move-out-of-loop",
    ),
    pytest.param(
        """\
        def average(xs):
            return sum(xs) / len(xs)
        """,
        2,
        """\
        def average(xs):
            if not xs:
                return 0
            return sum(xs) / len(xs)
        """,
        "guard",
        15,
        "ZeroDivisionError: division by zero",
        id="guard-empty",
    ),
    pytest.param(
        """\
        def nth_word(text, n):
            words = text.split()
            return words[n]
        """,
        3,
        """\
        def nth_word(text, n):
            words = text.split()
            if n >= len(words):
                return None
            return words[n]
        """,
        "guard",
        15,
        "IndexError: list index out of range",
        id="guard-bounds",
    ),
    pytest.param(
        """\
        def find(xs, target):
            index = -1
            for i, x in enumerate(xs):
                if x == target:
                    index = i
            return index
        """,
        5,
        """\
        def find(xs, target):
            index = -1
            for i, x in enumerate(xs):
                if x == target:
                    index = i
                    break
            return index
        """,
        "jump",
        15,
        "",
        id="jump-break",
    ),
]


@pytest.mark.parametrize(("source", "line", "fixed", "operator", "top", "message"), CASES)
def test_new_family_ranks_the_fix(
    source: str, line: int, fixed: str, operator: str, top: int, message: str
) -> None:
    cand = assert_proposed(
        source, line, fixed, operator, top, feedback=raised(message) if message else None
    )
    assert cand.description and "\n" not in cand.description


def test_trywrap_names_the_exception_the_testsraised() -> None:
    src = """\
    def parse_all(items):
        out = []
        for s in items:
            out.append(int(s))
        return out
    """
    fixed = """\
    def parse_all(items):
        out = []
        for s in items:
            try:
                out.append(int(s))
            except ValueError:
                pass
        return out
    """
    feedback = raised("ValueError: invalid literal for int() with base 10: 'x'")
    rank, cand = rank_of(src, 4, fixed, feedback=feedback)
    assert cand.operator == "trywrap" and rank <= 20  # swallowing errors: a last resort
    _, plain = rank_of(src, 4, fixed.replace("ValueError", "Exception"))
    assert plain.prior < cand.prior  # without the traceback's type: `Exception`, and lower


def test_donors_must_be_bound_at_the_site() -> None:
    """A donor reading a name assigned only below the site, or local to another function, is
    never offered (it would raise NameError/UnboundLocalError)."""
    src = """\
    def other(rows):
        return [r for r in rows if r.ok]


    def pick(items):
        while True:
            head = items[0]
            later = head
            if later:
                return head
    """
    from helpers_mutation import propose

    state, cands = propose(src, 6)
    texts = [state.derive(c.edits).read("pkg/mod.py").decode() for c in cands]
    heads = [t.splitlines()[5].strip() for t in texts if c_is_while(t)]
    assert "while items:" in heads
    assert not any("later" in h or "head" in h or "rows" in h for h in heads), heads


def c_is_while(text: str) -> bool:
    return text.splitlines()[5].strip().startswith("while")
