"""Provider implementations of `Model`: Anthropic (Messages API) and OpenAI-compatible (Chat
Completions). The SDKs are imported lazily and their own retries are disabled, so the gateway's
retries are the ones that happen and get counted."""

from __future__ import annotations

import email.utils
import json
import os
import time

from treefix.code.secrets import scrub
from treefix.errors import FatalModelError, TransientModelError
from treefix.extras import MissingExtra, require, status
from treefix.models.base import (
    Message,
    Reply,
    Request,
    ToolCall,
    Usage,
    context_overflow,
    merged_turns,
)
from treefix.models.registry import PROVIDERS

DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-5-5"
DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"


def _sdk_module(provider: str):
    """The SDK the provider's registry entry names, imported at the model's first call."""
    entry = PROVIDERS[provider]
    sdk = entry.lazy_sdk or provider
    try:
        return require(sdk, entry.missing(sdk))
    except MissingExtra as exc:
        raise FatalModelError(f"{provider}: {exc}") from None


def parse_retry_after(headers) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
    except Exception:
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _translate(exc: Exception, provider: str, model: str, key: str | None) -> Exception:
    """SDK exception -> Transient/Fatal, with any key scrubbed from the text."""
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    name = type(exc).__name__
    detail = scrub(str(exc), (key or "",))[:300]
    if status is None:
        if "Timeout" in name:
            return TransientModelError(f"{provider}: request timed out")
        if "Connection" in name:
            return TransientModelError(f"{provider}: connection failed ({detail})")
        return FatalModelError(f"{provider}: {name}: {detail}")
    if status in (401, 403):
        return FatalModelError(
            f"{provider} refused the key (HTTP {status}): check {_key_env(provider)}", status
        )
    if status == 404:
        return FatalModelError(
            f"{provider}: model {model!r} not found (HTTP 404): check --model", status
        )
    if status in (400, 413):
        overflow = context_overflow(str(exc), provider)  # prompt larger than the window
        if overflow is not None:
            return overflow
    if status in (408, 409, 429) or status >= 500:
        return TransientModelError(
            f"{provider}: HTTP {status}",
            parse_retry_after(getattr(response, "headers", None)),
            status,
        )
    return FatalModelError(f"{provider}: HTTP {status}: {detail}", status)


def _accepts(fn, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _key_env(provider: str) -> str:
    return "ANTHROPIC_API_KEY" if provider == "anthropic" else "OPENAI_API_KEY"


def _anthropic_blocks(b: Message) -> list[dict]:
    content: list[dict] = []
    for r in b.tool_results:
        content.append(
            {"type": "tool_result", "tool_use_id": r.call_id, "content": r.content}
            | ({"is_error": True} if r.is_error else {})
        )
    if b.content or not (b.tool_results or b.tool_calls):
        block: dict = {"type": "text", "text": b.content}
        if b.cache:
            block["cache_control"] = {"type": "ephemeral"}
        content.append(block)
    for c in b.tool_calls:
        content.append({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments})
    return content


def _openai_messages(role: str, blocks: list[Message]) -> list[dict]:
    """One turn: tool results become `tool` messages (before any text of the same turn)."""
    out: list[dict] = []
    for b in blocks:
        for r in b.tool_results:
            out.append({"role": "tool", "tool_call_id": r.call_id, "content": r.content})
    text = "\n\n".join(b.content for b in blocks if b.content)
    calls = [c for b in blocks for c in b.tool_calls]
    if calls:
        out.append(
            {
                "role": role,
                "content": text or None,
                "tool_calls": [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                    }
                    for c in calls
                ],
            }
        )
    elif text or not out:
        out.append({"role": role, "content": text})
    return out


def _arguments(raw) -> dict:
    """A function call's arguments: JSON text from OpenAI; bad JSON is an empty call the tool
    then refuses, never a crash."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"_invalid": str(raw)[:200]}
    return value if isinstance(value, dict) else {"_invalid": str(raw)[:200]}


class AnthropicModel:
    provider = "anthropic"
    supports_tools = True

    def __init__(
        self, name: str | None = None, base_url: str | None = None, api_key: str | None = None
    ):
        self.name = name or DEFAULT_ANTHROPIC_MODEL
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        self._key = api_key or os.environ.get("ANTHROPIC_API_KEY") or None
        if not self._key:
            raise FatalModelError("anthropic: ANTHROPIC_API_KEY is not set")
        self._client = None

    def _sdk(self):
        if self._client is None:
            anthropic = _sdk_module("anthropic")
            self._client = anthropic.Anthropic(
                api_key=self._key, base_url=self.base_url, max_retries=0
            )
        return self._client

    def complete(self, request: Request, timeout: float) -> Reply:
        system = [{"type": "text", "text": request.system, "cache_control": {"type": "ephemeral"}}]
        messages = []
        for role, blocks in merged_turns(request.messages):
            messages.append(
                {"role": role, "content": [x for b in blocks for x in _anthropic_blocks(b)]}
            )
        sdk = self._sdk()
        extra: dict = {}
        if _accepts(sdk.messages.create, "temperature"):  # newer SDKs dropped sampling knobs
            extra["temperature"] = request.temperature
        if request.tools:
            extra["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters}
                for t in request.tools
            ]
        try:
            resp = sdk.messages.create(
                model=self.name,
                system=system,
                messages=messages,
                max_tokens=request.max_tokens,
                timeout=timeout,
                **extra,
            )
        except Exception as exc:
            raise _translate(exc, self.provider, self.name, self._key) from None
        answer = resp.content or []
        text = "".join(getattr(b, "text", "") or "" for b in answer if b.type == "text")
        calls = tuple(
            ToolCall(b.id, b.name, _arguments(getattr(b, "input", None)))
            for b in answer
            if b.type == "tool_use"
        )
        u = resp.usage
        usage = Usage(
            input_tokens=getattr(u, "input_tokens", 0) or 0,
            output_tokens=getattr(u, "output_tokens", 0) or 0,
            cache_read_tokens=getattr(u, "cache_read_input_tokens", 0) or 0,
            cache_write_tokens=getattr(u, "cache_creation_input_tokens", 0) or 0,
        )
        return Reply(
            text=text,
            usage=usage,
            model=getattr(resp, "model", "") or self.name,
            finish_reason=getattr(resp, "stop_reason", "") or "",
            tool_calls=calls,
        )


class OpenAIModel:
    """Any server speaking the Chat Completions API: OpenAI, Ollama, vLLM, llama.cpp, LM Studio."""

    provider = "openai"
    supports_tools = True

    def __init__(
        self, name: str | None = None, base_url: str | None = None, api_key: str | None = None
    ):
        self.name = name or DEFAULT_OPENAI_MODEL
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self._key = api_key or os.environ.get("OPENAI_API_KEY") or None
        if not self._key:
            if not self.base_url:
                raise FatalModelError(
                    "openai: OPENAI_API_KEY is not set (local servers: pass --base-url)"
                )
            self._key = "not-needed"  # local servers (Ollama, llama.cpp) take any key
        self._client = None

    def _sdk(self):
        if self._client is None:
            openai = _sdk_module("openai")
            self._client = openai.OpenAI(api_key=self._key, base_url=self.base_url, max_retries=0)
        return self._client

    def complete(self, request: Request, timeout: float) -> Reply:
        messages = [{"role": "system", "content": request.system}]
        for role, blocks in merged_turns(request.messages):
            messages.extend(_openai_messages(role, blocks))
        extra: dict = {}
        if request.tools:
            extra["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in request.tools
            ]
        try:
            resp = self._sdk().chat.completions.create(
                model=self.name,
                messages=messages,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                timeout=timeout,
                **extra,
            )
        except Exception as exc:
            raise _translate(exc, self.provider, self.name, self._key) from None
        choices = resp.choices or []
        if not choices:  # a server glitch, not an answer: worth another attempt
            raise TransientModelError(f"{self.provider}: the server returned no choices")
        text = choices[0].message.content or ""
        calls = tuple(
            ToolCall(c.id, c.function.name, _arguments(c.function.arguments))
            for c in (getattr(choices[0].message, "tool_calls", None) or [])
            if getattr(c, "function", None) is not None
        )
        finish = getattr(choices[0], "finish_reason", "") or ""
        u = resp.usage
        cached = 0
        details = getattr(u, "prompt_tokens_details", None) if u else None
        if details is not None:
            cached = getattr(details, "cached_tokens", 0) or 0
        usage = Usage(
            input_tokens=max(0, (getattr(u, "prompt_tokens", 0) or 0) - cached) if u else 0,
            output_tokens=(getattr(u, "completion_tokens", 0) or 0) if u else 0,
            cache_read_tokens=cached,
        )
        return Reply(
            text=text,
            usage=usage,
            model=getattr(resp, "model", "") or self.name,
            finish_reason=finish,
            tool_calls=calls,
        )


class ApiProvider:
    """The registry's face of an API provider (see models/registry.py)."""

    def __init__(self, model: type, name: str):
        self.model, self.name = model, name

    def create(self, spec):
        return self.model(spec.name, spec.base_url)

    def doctor(self) -> list[tuple[str, bool, str]]:
        entry = PROVIDERS[self.name]
        sdk = entry.lazy_sdk or self.name
        return [(f"{sdk} SDK", *status(sdk, entry.missing(sdk)))]


ANTHROPIC = ApiProvider(AnthropicModel, "anthropic")
OPENAI = ApiProvider(OpenAIModel, "openai")
