"""Value agent blending (execution dominates) and the discriminator among validated fixes."""

from __future__ import annotations

from treefix.models import Gateway, ScriptedModel
from treefix.search.reward import Baseline
from treefix.search.tree import Node
from treefix.search.value import CAP, Discriminator, ValueAgent, blend
from treefix.types import ProgramState, Status, TestOutcome, TestReport

SRC = {"m.py": b"x = 1\n"}


def _baseline():
    rep = TestReport(
        Status.FAILED, 1, 0.1, tests={"t::a": TestOutcome("t::a", "failed", "AssertionError")}
    )
    return Baseline(rep, ["t::a"], [])


def _node(i, text, parent=None):
    root = parent or Node(0, ProgramState(SRC))
    return Node(
        i,
        ProgramState(SRC).derive([]) if text is None else ProgramState(SRC, {"m.py": text}),
        parent=root,
        depth=1,
    )


def test_blend_never_reaches_a_plausible_state():
    assert blend(0.5, 100) <= CAP < 1.0
    assert blend(0.05, -100) == 0.0
    assert blend(0.3, 0) == 0.3


def test_value_agent_scores_partial_states_only():
    model = ScriptedModel(["SCORE: 80\nEXPLANATION: right place, wrong constant"])
    agent = ValueAgent(Gateway(model), _baseline())
    n = _node(1, b"x = 2\n")
    assert agent(n, 0.0) == 0.0 and not model.requests  # nothing to refine: no call
    out = agent(n, 0.3)
    assert out == blend(0.3, 80) and n.value == 80 and "wrong constant" in n.value_note
    assert model.requests[0].purpose == "value"


def test_value_agent_turns_itself_off_when_the_provider_fails():
    msgs = []
    agent = ValueAgent(Gateway(ScriptedModel([])), _baseline(), on_disabled=msgs.append)
    assert agent(_node(1, b"x = 2\n"), 0.3) == 0.3
    assert not agent.enabled and "value agent off" in msgs[0]


def test_discriminator_majority_vote_then_judge():
    root = Node(0, ProgramState(SRC))
    a = _node(1, b"x = 2\n", root)
    b = _node(2, b"x = 3  # longer\n", root)
    pick, why = Discriminator()([a, b], {b.state.key(): 3})
    assert pick is b and "majority" in why
    pick, why = Discriminator()([a, b], {})
    assert pick is a and "smallest" in why
    model = ScriptedModel(["PICK: 2\nEXPLANATION: general fix"])
    pick, why = Discriminator(Gateway(model), _baseline())([a, b], {})
    assert pick is b and "general fix" in why
    regressed = _node(3, b"x = 4\n", root)
    regressed.regressions = ["t::b"]
    pick, _ = Discriminator()([regressed, a], {regressed.state.key(): 9})
    assert pick is a  # fewest regressions first


def _scored_child(root, i, reward):
    n = _node(i, f"x = {i}\n".encode(), root)
    n.report = TestReport(Status.FAILED, 1, 0.1)
    n.test_reward = n.reward = reward
    root.children[i] = n
    return n


def test_auto_asks_only_where_a_score_can_reorder_siblings():
    model = ScriptedModel(["SCORE: 50\nEXPLANATION: close"] * 3)
    agent = ValueAgent(Gateway(model), _baseline(), mode="auto")
    root = Node(0, ProgramState(SRC))
    lone = _scored_child(root, 1, 0.5)
    assert agent(lone, 0.5) == 0.5 and not model.requests  # no sibling: nothing to reorder
    far = _scored_child(root, 2, 0.9)
    assert agent(far, 0.9) == 0.9 and not model.requests  # 0.4 apart: ±0.15 cannot swap them
    near = _scored_child(root, 3, 0.4)
    assert agent(near, 0.4) == blend(0.4, 50) and len(model.requests) == 1  # 0.1 from `lone`
    assert agent.skipped == 2


def test_off_never_calls_the_model():
    model = ScriptedModel(["SCORE: 50"])
    agent = ValueAgent(Gateway(model), _baseline(), mode="off")
    root = Node(0, ProgramState(SRC))
    _scored_child(root, 1, 0.5)
    assert agent(_scored_child(root, 2, 0.5), 0.5) == 0.5 and not model.requests
