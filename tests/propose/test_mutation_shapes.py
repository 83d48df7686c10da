"""Statement-shape and string fix patterns (`mutate.unwrap`, `mutate.expected`): a check removed
with its body kept, a dropped value returned, a compared string normalised, a literal edited
toward what the failing assertion expected. Each proposes its fix early for its line and stays
quiet where its shape (or, for `expected`, the failure's values) is absent."""

from __future__ import annotations

import pytest
from helpers_mutation import assert_proposed, raised, results

from treefix.propose.mutate.expected import retarget, value_pairs
from treefix.protocols import Feedback
from treefix.types import Status, TestOutcome, TestReport

CASES = [
    pytest.param(
        """\
        def serialize(self, kwargs):
            out = {}
            for name, value in kwargs.items():
                if self.params[name].significant:
                    out[name] = self.params[name].dump(value)
            return out
        """,
        4,
        """\
        def serialize(self, kwargs):
            out = {}
            for name, value in kwargs.items():
                out[name] = self.params[name].dump(value)
            return out
        """,
        "unwrap",
        8,
        id="unwrap-drop-the-check",
    ),
    pytest.param(
        """\
        def path_of(target):
            if isinstance(target, str):
                return target
            elif hasattr(target, "table"):
                "{}:{}".format(target.project, target.table)
            else:
                raise ValueError("not supported")
        """,
        5,
        """\
        def path_of(target):
            if isinstance(target, str):
                return target
            elif hasattr(target, "table"):
                return "{}:{}".format(target.project, target.table)
            else:
                raise ValueError("not supported")
        """,
        "discard",
        2,
        id="discard-return-the-dropped-value",
    ),
    pytest.param(
        """\
        def exists(table, run):
            stdout = run("show tables")
            return stdout and table in stdout
        """,
        3,
        """\
        def exists(table, run):
            stdout = run("show tables")
            return stdout and table.lower() in stdout
        """,
        "normcase",
        20,
        id="normcase-lower-the-needle",
    ),
]


@pytest.mark.parametrize("source,line,fixed,family,place", CASES)
def test_shape_proposes_the_fix_early(source, line, fixed, family, place):
    assert_proposed(source, line, fixed, family, place)


def _families(source: str, line: int, feedback: Feedback | None = None) -> set[str]:
    return {c.operator for c in results(source, line, feedback=feedback).values()}


def test_unwrap_keeps_either_branch_of_an_if_else():
    source = """\
    def pick(a, flag):
        if flag:
            a = a + 1
        else:
            a = a - 1
        return a
    """
    found = {text: c.operator for text, c in results(source, 2).items()}
    body = "def pick(a, flag):\n    a = a + 1\n    return a\n"
    other = "def pick(a, flag):\n    a = a - 1\n    return a\n"
    assert found.get(body) == "unwrap"
    assert found.get(other) == "unwrap"


def test_unwrap_leaves_elif_chains_and_loops_alone():
    chain = """\
    def sign(x):
        if x > 0:
            return 1
        elif x < 0:
            return -1
        return 0
    """
    loop = """\
    def total(xs):
        n = 0
        while xs:
            n += xs.pop()
        return n
    """
    assert "unwrap" not in _families(chain, 2)
    assert "unwrap" not in _families(loop, 3)


def test_discard_never_turns_a_call_into_a_return():
    source = """\
    def log(items, sink):
        sink.write(items)
        print(len(items))
    """
    assert "discard" not in _families(source, 2)
    assert "discard" not in _families(source, 3)


def test_discard_ranks_a_missing_call_before_returning_a_bare_method():
    source = """\
    def drain(stack):
        stack.pop
        return stack
    """
    found = results(source, 2)
    called = "def drain(stack):\n    stack.pop()\n    return stack\n"
    returned = "def drain(stack):\n    return stack.pop\n    return stack\n"
    assert found[called].prior > found[returned].prior
    assert found[returned].operator == "discard"


def test_normcase_leaves_comparisons_with_numbers_alone():
    source = """\
    def count(x):
        return x == 0
    """
    assert "normcase" not in _families(source, 2)


def test_normcase_skips_an_operand_already_normalised():
    source = """\
    def has(name, names):
        return name.lower() in names
    """
    fixed = "def has(name, names):\n    return name.lower().lower() in names\n"
    assert fixed not in results(source, 2)


def _failure(message: str, detail: str) -> Feedback:
    outcome = TestOutcome("tests/test_mod.py::test_it", "failed", message, detail=detail)
    report = TestReport(Status.FAILED, 1, 0.1, tests={outcome.nodeid: outcome})
    return Feedback(report=report, targets=[outcome.nodeid])


SPARK = """\
def conf_args(name, value):
    command = []
    for prop, val in value.items():
        command += [name, '"{0}={1}"'.format(prop, val)]
    return command
"""
SPARK_FIXED = SPARK.replace("'\"{0}={1}\"'", "'{0}={1}'")


def test_expected_edits_a_literal_toward_unittests_first_differing_element():
    # unittest's list diff: the first line is cut ([131 chars]), the elements follow it
    feedback = _failure(
        "AssertionError: Lists differ: ['ss-[131 chars] '\"prop1=val1\"'] != ['ss-[131 chars]]",
        "E       First differing element 2:\nE       '\"prop1=val1\"'\nE       'prop1=val1'",
    )
    cand = assert_proposed(SPARK, 4, SPARK_FIXED, "expected", 3, feedback=feedback)
    assert "expected value" in cand.description


def test_expected_reads_a_pytest_assert_either_way_round():
    # the expected value written first: the literal decides which side the program made
    feedback = _failure("AssertionError: assert ['--conf', 'a=1'] == ['--conf', '\"a=1\"']", "")
    assert_proposed(SPARK, 4, SPARK_FIXED, "expected", 3, feedback=feedback)


def test_expected_needs_the_failures_values():
    assert "expected" not in _families(SPARK, 4)
    assert "expected" not in _families(SPARK, 4, raised("AssertionError: assert False"))
    # values whose difference is nowhere in the literal
    unrelated = _failure("AssertionError: assert 'abc' == 'xyz'", "")
    assert "expected" not in _families(SPARK, 4, unrelated)


def test_expected_leaves_numbers_and_computed_text_alone():
    # `d.get(k, 0)` -> `d.get(k, 7)` would pass a count test by overfitting
    source = """\
    def count(stock, sku):
        return stock.get(sku, 0)
    """
    assert "expected" not in _families(source, 2, _failure("AssertionError: assert 0 == 7", ""))
    # a cut text one character short: the `o` is the program's data, not the literal's
    cut = """\
    def truncate(text, width):
        return text[: width - 2] + "…"
    """
    short_cut = _failure("AssertionError: assert 'hell…' == 'hello…'", "")
    assert "expected" not in _families(cut, 2, short_cut)


def test_value_pairs_reads_each_failure_shape():
    assert value_pairs("AssertionError: 'a b' != 'a-b'") == [("a b", "a-b")]
    assert value_pairs("AssertionError: assert [1, 'x', 3] == [1, 'y', 4]") == [("x", "y"), (3, 4)]
    assert value_pairs("", "E   At index 3 diff: 'k=v' != 'k=w'") == [("k=v", "k=w")]
    assert value_pairs("AssertionError: assert {'a': 1} == {'a': 2}") == [(1, 2)]
    assert value_pairs("AssertionError: assert f(x) == 3") == []
    assert value_pairs("AssertionError: assert True == False") == []


def test_retarget_places_each_difference_by_its_anchor():
    assert retarget('"{0}={1}"', '"a=1"', "a=1") == "{0}={1}"  # both ends
    assert retarget("{}:{}", "p:t", "p.t") == "{}.{}"  # inside, by the one `:` in the literal
    assert retarget("total: {}", "total: 3", "Total: 3") == "Total: {}"
    assert retarget("abc", "xyz", "xyw") is None  # the difference is not in the literal
    assert retarget("a-b", "x-y", "pqr") is None  # unrelated values: no partial edit
    assert retarget("hello-a", "k: a ok", "k: b ok") is None  # a letter needs its context
    assert retarget("The sum", "The total", "The sum") is None  # already what was wanted
    assert retarget("…", "Hello w…", "Hello wo…") is None  # `o` is text the program made
    assert retarget("…", "hell…", "hello…") is None  # an insertion at the literal's edge
    assert retarget("ab", "xaby", "xa-by") == "a-b"  # an insertion inside the literal
