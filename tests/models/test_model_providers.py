"""The real SDKs against the local server: replies, usage, cost, retries, timeouts, refusals."""

from __future__ import annotations

import json

import pytest

from tests.models.llm_server import Step, serve
from treefix.errors import FatalModelError, ProviderError
from treefix.models import (
    BudgetExhausted,
    Gateway,
    Message,
    Request,
    RetryPolicy,
    ScriptedModel,
)
from treefix.models.providers import AnthropicModel, OpenAIModel, parse_retry_after

llm_server = pytest.fixture(serve, name="llm_server")
FAST = RetryPolicy(max_retries=3, max_total=20, base_delay=0.01, max_delay=0.05, timeout=5)


def _req(text="hello", **kw) -> Request:
    return Request(
        "system prompt", (Message("user", "code", cache=True), Message("user", text)), **kw
    )


def _model(kind, server, key=None):
    cls = AnthropicModel if kind == "anthropic" else OpenAIModel
    return cls(
        "claude-sonnet-5-5" if kind == "anthropic" else "gpt-4o",
        server.url + ("" if kind == "anthropic" else "/v1"),
        key or server.key,
    )


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_reply_usage_and_cost(kind, llm_server):
    llm_server.push("the answer")
    gw = Gateway(_model(kind, llm_server), retry=FAST)
    reply = gw.complete(_req())
    assert reply.text == "the answer"
    assert reply.usage.output_tokens == 200
    assert reply.cost is not None and reply.cost > 0
    assert gw.stats.calls == 1 and gw.stats.requests == 1
    body = llm_server.requests[0].body
    if kind == "anthropic":
        # the system prompt and the code context are marked for prompt caching
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
        blocks = body["messages"][0]["content"]
        assert blocks[0]["cache_control"] == {"type": "ephemeral"}
        assert "cache_control" not in blocks[1]
        assert reply.usage.cache_read_tokens == 500
    else:
        assert body["messages"][0] == {"role": "system", "content": "system prompt"}
    rec = gw.records[0]
    assert rec["response"] == "the answer" and len(rec["prompt_sha256"]) == 64


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_429_and_500_are_retried_honouring_retry_after(kind, llm_server):
    llm_server.push(
        Step("slow down", status=429, headers={"retry-after": "0.3"}),
        Step("boom", status=500),
        "finally",
    )
    waits: list[float] = []
    gw = Gateway(_model(kind, llm_server), retry=FAST, sleep=waits.append)
    assert gw.complete(_req()).text == "finally"
    assert llm_server.count(kind) == 3  # the SDK's own retries are off: ours are the only ones
    assert gw.stats.retries == 2 and gw.stats.requests == 3 and gw.stats.calls == 1
    assert waits[0] == pytest.approx(0.3)


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_retries_are_bounded_and_end_in_a_provider_failure(kind, llm_server):
    llm_server.default = "x"
    llm_server.push(*[Step("down", status=503) for _ in range(10)])
    gw = Gateway(_model(kind, llm_server), retry=FAST, sleep=lambda s: None)
    with pytest.raises(ProviderError) as exc:
        gw.complete(_req())
    assert not exc.value.fatal
    assert llm_server.count() == FAST.max_retries + 1
    assert "503" in str(exc.value)


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_slow_response_times_out_and_is_retried(kind, llm_server):
    llm_server.push(Step("late", delay=2.5), "on time")
    policy = RetryPolicy(max_retries=2, max_total=30, base_delay=0.01, max_delay=0.02, timeout=1.0)
    gw = Gateway(_model(kind, llm_server), retry=policy)
    assert gw.complete(_req()).text == "on time"
    assert gw.stats.retries == 1


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_bad_key_is_fatal_at_once_and_the_key_never_shows(kind, llm_server):
    wrong = "sk-wrong-KEY-abcdef123456"
    gw = Gateway(_model(kind, llm_server, key=wrong), retry=FAST, sleep=lambda s: None)
    with pytest.raises(ProviderError) as exc:
        gw.complete(_req())
    assert exc.value.fatal
    assert llm_server.count() == 1  # no retry on 401
    assert "401" in str(exc.value)
    assert wrong not in str(exc.value) and wrong not in json.dumps(gw.records)


def test_unknown_model_404_is_fatal(llm_server):
    llm_server.push(Step("model: nope", status=404))
    gw = Gateway(_model("anthropic", llm_server), retry=FAST)
    with pytest.raises(ProviderError, match="not found"):
        gw.complete(_req())


def test_connection_refused_is_retried_then_fails():
    model = OpenAIModel("gpt-4o", "http://127.0.0.1:9/v1", "k")
    gw = Gateway(model, retry=FAST, sleep=lambda s: None)
    with pytest.raises(ProviderError, match="connection"):
        gw.complete(_req())
    assert gw.stats.requests == FAST.max_retries + 1


def test_call_budget_is_checked_before_the_call():
    gw = Gateway(ScriptedModel(["a", "b", "c"]), max_calls=2)
    gw.complete(_req("1"))
    gw.complete(_req("2"))
    with pytest.raises(BudgetExhausted, match="call budget"):
        gw.complete(_req("3"))
    assert gw.stats.calls == 2


def test_cost_budget_stops_after_the_spend_is_reached(llm_server):
    llm_server.default = "ok"
    gw = Gateway(_model("anthropic", llm_server), max_cost=0.001, retry=FAST)
    gw.complete(_req("1"))  # ~ $0.0061 > $0.001
    with pytest.raises(BudgetExhausted, match="cost budget"):
        gw.complete(_req("2"))
    assert llm_server.count() == 1


def test_unknown_model_price_counts_tokens_and_cost_is_unknown(llm_server):
    llm_server.default = "ok"
    model = OpenAIModel("my-local-llama", llm_server.url + "/v1", llm_server.key)
    gw = Gateway(model, max_cost=0.01, retry=FAST)
    for i in range(3):
        assert gw.complete(_req(str(i))).cost is None
    assert gw.stats.as_dict()["cost_usd"] is None
    assert gw.stats.usage.output_tokens == 600


def test_price_table_can_be_overridden(tmp_path, monkeypatch, llm_server):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"my-local-llama": {"input": 1.0, "output": 2.0}}))
    monkeypatch.setenv("TREEFIX_PRICES", str(prices))
    llm_server.default = "ok"
    gw = Gateway(OpenAIModel("my-local-llama", llm_server.url + "/v1", llm_server.key), retry=FAST)
    assert gw.complete(_req()).cost == pytest.approx((1000 * 1.0 + 200 * 2.0) / 1e6)


def test_cache_replays_offline(tmp_path, llm_server):
    llm_server.push("cached answer")
    gw = Gateway(_model("openai", llm_server), cache_dir=tmp_path, retry=FAST)
    assert gw.complete(_req()).text == "cached answer"
    llm_server.stop()  # offline now
    gw2 = Gateway(_model("openai", llm_server), cache_dir=tmp_path, retry=FAST, max_calls=0)
    reply = gw2.complete(_req())
    assert reply.text == "cached answer" and reply.cached
    assert gw2.stats.calls == 0 and gw2.stats.cached == 1
    with pytest.raises(BudgetExhausted):  # a different request is not in the cache
        gw2.complete(_req("other"))


def test_retry_after_parsing():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({}) is None


def test_scripted_model_from_jsonl_and_exhaustion(tmp_path):
    f = tmp_path / "s.jsonl"
    f.write_text(
        json.dumps("one") + "\n" + json.dumps({"text": "two", "usage": {"output_tokens": 7}}) + "\n"
    )
    gw = Gateway(ScriptedModel.from_file(f))
    assert gw.complete(_req("a")).text == "one"
    r = gw.complete(_req("b"))
    assert r.text == "two" and r.usage.output_tokens == 7 and r.cost == 0.0
    with pytest.raises(ProviderError, match="no responses left"):
        gw.complete(_req("c"))


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(FatalModelError, match="ANTHROPIC_API_KEY is not set"):
        AnthropicModel()
