"""Retrieval as tools through the real Anthropic and OpenAI SDKs against the local server: the
model reads code it was not shown and then fixes it; calls outside the project or for a secret
are refused and counted; budgets and the round limit stop a runaway loop."""

from __future__ import annotations

import json

import pytest

from tests.models.llm_server import Step, prompt_text, serve, tool_results
from treefix.models import BudgetExhausted, Gateway, RetryPolicy
from treefix.models.providers import AnthropicModel, OpenAIModel
from treefix.propose.llm import LLMProposer
from treefix.protocols import Feedback
from treefix.types import ProgramState, Suspicion

llm_server = pytest.fixture(serve, name="llm_server")
FAST = RetryPolicy(max_retries=0, max_total=20, timeout=10)

# The failing test calls `total()`, localised to pkg/cart.py; the bug is in pkg/tax.py, which the
# prompt never shows: only a model that reads it can write a SEARCH block that matches.
SRC = {
    "pkg/__init__.py": b"",
    "pkg/cart.py": b"from pkg.tax import RATE\n\n\ndef total(price):\n    return price * (1 + RATE)\n",
    "pkg/tax.py": b"# VAT\nRATE = 0.02\n",
    "tests/test_cart.py": b"from pkg.cart import total\n\n\ndef test_total():\n    assert total(100) == 120\n",
}
FIX = (
    "EXPLANATION: The VAT rate is 20%, not 2%.\n\n"
    "<<<<<<< SEARCH pkg/tax.py\nRATE = 0.02\n=======\nRATE = 0.2\n>>>>>>> REPLACE\n"
)
FOCUS = [Suspicion("pkg/cart.py", 5, 0.9, ("traceback",))]
TARGETS = ["tests/test_cart.py::test_total"]


def _gateway(kind, server, **kw) -> Gateway:
    if kind == "anthropic":
        model = AnthropicModel("claude-sonnet-5-5", server.url, server.key)
    else:
        model = OpenAIModel("gpt-4o", server.url + "/v1", server.key)
    return Gateway(model, retry=FAST, **kw)


def _oracle(body: dict) -> Step | str:
    """Answers with the fix only once the prompt holds the line it changes; else reads tax.py."""
    if "RATE = 0.02" in prompt_text(body):
        return FIX
    return Step(tools=[("read_file", {"path": "pkg/tax.py"})])


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_the_model_reads_a_file_outside_the_localised_set_then_fixes(kind, llm_server):
    llm_server.push(Step(tools=[("list_dir", {"path": "pkg"})]))
    llm_server.default = _oracle
    gw = _gateway(kind, llm_server)
    prop = LLMProposer(gw, samples=1)
    state = ProgramState(SRC)
    (cand,) = prop.propose(state, FOCUS, Feedback(None, TARGETS))
    assert state.derive(cand.edits).read("pkg/tax.py") == b"# VAT\nRATE = 0.2\n"
    # three model calls: list_dir, read_file, the answer; all counted
    assert llm_server.count(kind) == 3 and gw.stats.calls == 3 and gw.stats.tool_calls == 2
    first = llm_server.requests[0].body
    names = [t["name"] if kind == "anthropic" else t["function"]["name"] for t in first["tools"]]
    assert names == ["read_file", "search", "find_definition", "list_dir"]
    assert "tax.py" in tool_results(llm_server.requests[1].body)[0][0]
    assert "    2  RATE = 0.02" in tool_results(llm_server.requests[2].body)[-1][0]
    # the trajectory keeps every call and its result
    tools = [r for r in gw.records if r["type"] == "tool_call"]
    assert [t["tool"] for t in tools] == ["list_dir", "read_file"]
    assert "RATE = 0.02" in tools[1]["result"] and "refused" not in tools[1]
    assert json.dumps(gw.records)  # plain data for trajectory.jsonl


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_paths_outside_the_project_and_secret_files_are_refused_and_counted(kind, llm_server):
    state = ProgramState({**SRC, ".env": b"API_KEY=sk-live-abcdefghijkl\n"})
    llm_server.push(
        Step(
            tools=[
                ("read_file", {"path": "../x"}),
                ("read_file", {"path": "/etc/passwd"}),
                ("read_file", {"path": ".env"}),
                ("search", {"regex": "API_KEY"}),
                ("list_dir", {"path": "pkg"}),
            ]
        ),
        FIX,
    )
    gw = _gateway(kind, llm_server)
    (cand,) = LLMProposer(gw, samples=1).propose(state, FOCUS, Feedback(None, TARGETS))
    assert cand.path == "pkg/tax.py"
    results = tool_results(llm_server.requests[1].body)
    assert [err for _, err in results] == [True, True, True, False, False]
    assert "outside the project" in results[0][0] and "outside the project" in results[1][0]
    assert "secret" in results[2][0]
    assert results[3][0] == "no match"  # the secret file is not searched either
    assert results[4][0].split() == ["__init__.py", "cart.py", "tax.py"]
    assert "sk-live" not in json.dumps(llm_server.requests[1].body)
    assert gw.stats.tool_calls == 5 and gw.stats.tool_refused == 3
    assert gw.stats.as_dict()["tool_calls_refused"] == 3


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_the_call_budget_stops_a_runaway_tool_loop(kind, llm_server):
    llm_server.default = lambda body: Step(tools=[("list_dir", {"path": ""})])
    gw = _gateway(kind, llm_server, max_calls=3)
    prop = LLMProposer(gw, samples=1, tool_rounds=50)
    with pytest.raises(BudgetExhausted):
        prop.propose(ProgramState(SRC), FOCUS, Feedback(None, TARGETS))
    assert llm_server.count(kind) == 3 and gw.stats.calls == 3


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_the_round_limit_ends_the_loop_with_a_rejected_answer(kind, llm_server):
    llm_server.default = lambda body: Step(tools=[("list_dir", {"path": ""})])
    gw = _gateway(kind, llm_server)
    prop = LLMProposer(gw, samples=1, tool_rounds=2)
    assert prop.propose(ProgramState(SRC), FOCUS, Feedback(None, TARGETS)) == []
    assert llm_server.count(kind) == 3  # two tool rounds, then the last answer
    assert "No more tool calls" in prompt_text(llm_server.requests[2].body)
    assert prop.stats.rejected == 1 and gw.stats.tool_calls == 2


def test_a_model_without_tools_gets_the_plain_request():
    from treefix.models import ScriptedModel

    model = ScriptedModel([FIX])
    (cand,) = LLMProposer(Gateway(model), samples=1).propose(
        ProgramState(SRC), FOCUS, Feedback(None, TARGETS)
    )
    assert cand.path == "pkg/tax.py" and model.requests[0].tools == ()
