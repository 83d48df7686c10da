"""Prompt caching as the real APIs report it, through the real SDKs against the local server in
its counting mode: the stable prefix treefix marks (Anthropic) or sends first (OpenAI) is read
from the cache by the next request, and the gateway's usage and cost say so."""

from __future__ import annotations

import pytest

from tests.models.llm_server import serve
from treefix.models import Gateway, RetryPolicy
from treefix.models.base import Message, Request
from treefix.models.providers import AnthropicModel, OpenAIModel

llm_server = pytest.fixture(serve, name="llm_server")

MAP = "Repository map\n" + "".join(f"pkg/mod{i}.py:\n  1: def f{i}(x)\n" for i in range(300))


def _request(question: str) -> Request:
    return Request(
        system="You repair Python code.",
        messages=(Message("user", MAP, cache=True), Message("user", question)),
    )


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_the_second_request_reads_the_stable_prefix_from_the_cache(kind, llm_server):
    llm_server.count_tokens = True
    llm_server.default = "no edits"
    if kind == "anthropic":
        model = AnthropicModel("claude-sonnet-5-5", llm_server.url, llm_server.key)
    else:
        model = OpenAIModel("gpt-4o", llm_server.url + "/v1", llm_server.key)
    gw = Gateway(model, retry=RetryPolicy(max_retries=0, max_total=20, timeout=10))
    gw.complete(_request("Fix test_a."))
    first = gw.stats.usage.cache_read_tokens
    gw.complete(_request("Fix test_b, which fails differently."))
    read = gw.stats.usage.cache_read_tokens - first
    assert first == 0  # nothing cached before the first request
    served = llm_server.requests[1].usage
    if kind == "anthropic":
        assert llm_server.requests[0].usage["cache_creation_input_tokens"] > 1024
        assert read == served["cache_read_input_tokens"] >= len(MAP) // 4
        assert gw.stats.usage.cache_write_tokens > 1024
    else:
        assert read == served["prompt_tokens_details"]["cached_tokens"] >= 1024
        assert (read - 1024) % 128 == 0
    # the question after the prefix is not cached
    total = gw.stats.usage.input_tokens + gw.stats.usage.cache_read_tokens
    assert read < total


def test_a_prefix_below_the_minimum_is_never_cached(llm_server):
    llm_server.count_tokens = True
    model = AnthropicModel("claude-sonnet-5-5", llm_server.url, llm_server.key)
    gw = Gateway(model, retry=RetryPolicy(max_retries=0, max_total=20, timeout=10))
    short = Request(system="s", messages=(Message("user", "tiny map", cache=True),))
    gw.complete(short)
    gw.complete(short)
    assert gw.stats.usage.cache_read_tokens == 0 and gw.stats.usage.cache_write_tokens == 0
