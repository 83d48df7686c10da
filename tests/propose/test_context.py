"""The context a model is shown: the failing tests' source with their fixtures, the failure
text of later prompts, and the repository map within its budget."""

from __future__ import annotations

from treefix.models import Gateway, ScriptedModel
from treefix.propose.context.budget import tokens
from treefix.propose.context.first import build_first_prompt
from treefix.propose.context.repomap import repo_map
from treefix.propose.context.tests import TestSource
from treefix.propose.llm import LLMProposer
from treefix.protocols import Feedback
from treefix.types import ProgramState, Status, Suspicion, TestOutcome, TestReport

CONFTEST = (
    "import pytest\n\n\n@pytest.fixture\ndef db(tmp_path):\n    return {'path': tmp_path}\n\n\n"
    "@pytest.fixture\ndef user(db):\n    return make_user(db, 'ada')\n"
)
TESTS = (
    "import pytest\n\nfrom shop.cart import Cart\n\n\n"
    "@pytest.fixture\ndef cart(user):\n    return Cart(user)\n\n\n"
    "class TestCart:\n    def test_total(self, cart):\n        cart.add(3)\n"
    "        assert cart.total() == 3\n\n\n"
    "@pytest.mark.parametrize('n', [1, 2])\ndef test_count(n, cart):\n    assert cart.count() == 0\n"
)
CART = (
    "class Cart:\n    def __init__(self, user):\n        self.items = []\n\n"
    "    def add(self, n):\n        self.items.append(n)\n\n"
    "    def total(self):\n        return sum(self.items) - 1\n\n"
    "    def count(self):\n        return len(self.items)\n"
)
SRC = {
    "shop/__init__.py": b"",
    "shop/cart.py": CART.encode(),
    "shop/unrelated.py": b"def helper():\n    return 1\n\n\nclass Other:\n    def go(self):\n        pass\n",
    "tests/conftest.py": CONFTEST.encode(),
    "tests/test_cart.py": TESTS.encode(),
}
TARGET = "tests/test_cart.py::TestCart::test_total"
FOCUS = [Suspicion("shop/cart.py", 9, 0.9, ("ochiai",))]


def _report(detail: str = "E   assert 2 == 3\nE    +  where 2 = total()") -> TestReport:
    out = TestOutcome(
        TARGET,
        "failed",
        "AssertionError: assert 2 == 3",
        frames=[("tests/test_cart.py", 14), ("shop/cart.py", 9)],
        detail=detail,
    )
    return TestReport(Status.FAILED, 1, 0.1, tests={TARGET: out})


def test_a_method_test_comes_with_its_fixtures_and_theirs_from_conftest():
    found = TestSource(ProgramState(SRC)).for_targets([TARGET])
    assert [(s.kind, s.name, s.path) for s in found] == [
        ("test", "TestCart::test_total", "tests/test_cart.py"),
        ("fixture", "cart", "tests/test_cart.py"),
        ("fixture", "user", "tests/conftest.py"),
    ]  # user's own `db` is two levels down: left out; tmp_path is pytest's
    assert found[0].text.startswith("def test_total(self, cart):")
    assert found[1].text.startswith("@pytest.fixture\ndef cart(user):")


def test_a_parametrized_id_finds_its_function():
    (test, *_) = TestSource(ProgramState(SRC)).for_targets(["tests/test_cart.py::test_count[2]"])
    assert test.name == "test_count" and test.first_line == 17  # its decorator
    assert test.text.startswith("@pytest.mark.parametrize")


def test_the_map_ranks_what_the_tests_use_and_keeps_its_budget():
    state = ProgramState(SRC)
    full = repo_map(state, "cart.total() Cart", 500)
    assert full.index("shop/cart.py:") < full.index("shop/unrelated.py:")
    assert "8: def total(self)" in full and "1: class Cart" in full
    small = repo_map(state, "cart.total() Cart", 20)
    assert tokens(small) <= 20 and "shop/unrelated.py" not in small
    assert repo_map(state, "x", 0) == ""


def test_the_first_prompt_holds_source_failure_diff_and_frames():
    p = build_first_prompt(ProgramState(SRC), FOCUS, _report(), [TARGET])
    assert "def test_total(self, cart):" in p.stable and "def user(db):" in p.stable
    assert "AssertionError: assert 2 == 3" in p.failing
    assert "+  where 2 = total()" in p.failing
    assert "shop/cart.py:9  return sum(self.items) - 1" in p.failing
    assert "tests/test_cart.py:14  assert cart.total() == 3" in p.failing
    assert ">>9 |         return sum(self.items) - 1" in p.code


def test_later_prompts_get_the_states_own_diff_and_frames_not_only_a_first_line():
    prop = LLMProposer(Gateway(ScriptedModel(["x", "x"])), samples=1)
    state = ProgramState(SRC)
    prop.propose(state, FOCUS, Feedback(_report(), [TARGET]))
    later = _report("E   assert 4 == 3\n" + "\n".join(f"E   line {i}" for i in range(30)))
    prop.propose(state, FOCUS, Feedback(later, [TARGET], patch="--- a\n+++ b\n", critique="run"))
    root, child = (r.messages for r in prop.gateway.model.requests)
    assert prop.root_messages == {TARGET: "AssertionError: assert 2 == 3"}
    assert root[0].content == child[0].content  # the cached prefix does not change
    assert "E   line 29" in child[1].content and "shop/cart.py:9" in child[1].content
    assert "E   assert 4 == 3" in child[1].content


def test_a_small_window_trims_map_and_tests_first_prompt_still_has_the_message():
    p = build_first_prompt(ProgramState(SRC), FOCUS, _report(), [TARGET], level=4)
    assert "shop/unrelated.py" not in p.stable
    assert "AssertionError: assert 2 == 3" in p.failing


def test_a_module_that_failed_to_collect_is_shown_whole():
    (mod,) = TestSource(ProgramState(SRC)).for_targets(["tests/test_cart.py"])
    assert mod.kind == "module" and "def test_count(n, cart):" in mod.text


def test_the_code_shown_comes_with_the_module_defaults_it_reads():
    """A wrong default runs at import, never under the failing test: the spectrum ranks only the
    function that reads it, so the function's module-level names are shown beside it."""
    from treefix.propose.code_context import code_context

    lukes = (
        '"""Partitions."""\nimport os\n\nD_NODE_VALUE = 0  # the bug: 1\nUNUSED = 3\n'
        "CACHE = {\n    'size': 2048,\n}\n\n\n"
        "def node_weight(G, n):\n    return G.get(n, D_NODE_VALUE) + CACHE['size']\n"
    )
    shown = code_context(
        ProgramState({"pkg/lukes.py": lukes.encode()}),
        [Suspicion("pkg/lukes.py", 12, 0.9, ("spectrum",))],
    )
    assert "4 | D_NODE_VALUE = 0  # the bug: 1" in shown
    assert "6 | CACHE = {" in shown and "8 | }" in shown
    assert ">>12 |     return G.get(n, D_NODE_VALUE)" in shown
    assert "UNUSED" not in shown and "import os" not in shown


def test_a_function_the_failing_line_calls_is_shown_though_it_left_no_frame():
    """`from_str_params(t.to_str_params())` fails inside from_str_params; the bug is in
    to_str_params, which returned normally: it is shown too, unmarked, after the ranked code."""
    task = (
        "class Task:\n"
        "    @classmethod\n    def from_str_params(cls, params):\n"
        "        return cls(**{k: params[k] for k in cls.names})\n\n"  # 4: the KeyError
        "    def to_str_params(self):\n"
        "        return {k: str(v) for k, v in self.kw.items() if k != 'x'}\n\n"  # 7: the bug
        "    def unrelated(self):\n        return 0\n"
    )
    test = "from pkg.task import Task\n\n\ndef test_round_trip():\n    t = Task()\n" + (
        "    assert Task.from_str_params(t.to_str_params())\n"
    )
    state = ProgramState({"pkg/task.py": task.encode(), "tests/test_task.py": test.encode()})
    target = "tests/test_task.py::test_round_trip"
    out = TestOutcome(
        target, "failed", "KeyError: 'x'", frames=[("tests/test_task.py", 6), ("pkg/task.py", 4)]
    )
    report = TestReport(Status.FAILED, 1, 0.1, tests={target: out})
    focus = [Suspicion("pkg/task.py", 4, 0.9, ("traceback",))]
    p = build_first_prompt(state, focus, report, [target])
    assert ">>4 |         return cls(**" in p.code
    assert "  7 |         return {k: str(v) for k, v in self.kw.items() if k != 'x'}" in p.code
    assert ">>7" not in p.code and "def unrelated" not in p.code
    # the proposer's own prompts show it as well
    prop = LLMProposer(Gateway(ScriptedModel(["x"])), samples=1)
    request = prop.build_request(state, focus, Feedback(report, [target]), 0)
    assert "if k != 'x'}" in "\n".join(m.content for m in request.messages)


def test_the_ranked_code_takes_the_line_budget_before_the_names_it_reads():
    from treefix.propose.code_context import code_context

    consts = "".join(f"C{i} = {i}\n" for i in range(30))
    body = " + ".join(f"C{i}" for i in range(30))
    src = consts + f"\n\ndef total():\n    x = 1\n    return {body}\n"
    focus = [Suspicion("pkg/m.py", 35, 0.9, ("ochiai",))]
    shown = code_context(ProgramState({"pkg/m.py": src.encode()}), focus, max_lines=10)
    assert ">>35 |     return C0 + C1" in shown and "33 | def total():" in shown
    assert shown.count(" = ") <= 10 - 3  # the constants get only what the function left
