"""The `Model` seam: messages in; text, token usage and cost out.

A provider implementation makes exactly one attempt per `complete()` call and translates its SDK's
failures into `TransientModelError` (worth retrying: 429, 5xx, connection, timeout),
`FatalModelError` (401/403 bad key, 404 unknown model, 400 bad request) or `ContextOverflow`
(all in `treefix.errors`). Retries, budgets, the response cache and accounting live in
`treefix.models.gateway`, the same for every provider.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

from treefix.errors import ContextOverflow


@dataclass(frozen=True)
class Message:
    role: str  # "user" | "assistant"
    content: str
    cache: bool = False  # stable prefix: ask the provider to cache it (Anthropic cache_control)


@dataclass(frozen=True)
class Request:
    system: str
    messages: tuple[Message, ...]
    temperature: float = 0.0
    max_tokens: int = 2048
    sample: int = 0  # which of several samples at this temperature (part of the cache key)
    purpose: str = "propose"  # propose | value | judge (for the trajectory)

    def digest(self, provider: str, model: str) -> str:
        """Hash of the full request: the response cache key and the trajectory's prompt id."""
        body = {
            "provider": provider,
            "model": model,
            "system": self.system,
            "messages": [asdict(m) for m in self.messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "sample": self.sample,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass
class Usage:
    input_tokens: int = 0  # uncached input
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens

    @property
    def total(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )


@dataclass
class Reply:
    text: str
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None  # USD; None when the model's price is unknown
    model: str = ""
    cached: bool = False  # served from the on-disk response cache
    attempts: int = 1
    digest: str = ""
    finish_reason: str = ""  # "stop", "length" (cut at max_tokens)... as the provider said
    latency: float = 0.0  # seconds of the answered request (set by the gateway)

    @property
    def truncated(self) -> bool:
        return self.finish_reason in ("length", "max_tokens", "timeout")




_WINDOW = re.compile(
    r"(?:maximum context length is|context window of|context length of|n_ctx[ =:]*)\s*(\d+)", re.I
)
_REQUESTED = re.compile(r"(?:requested|resulted in|prompt has|Requested tokens \()\s*(\d+)", re.I)
_OVERFLOW_HINTS = (
    "context length",
    "context window",
    "context_length_exceeded",
    "n_ctx",
    "too long",
)


def context_overflow(message: str, provider: str) -> ContextOverflow | None:
    """A provider's "prompt too long" error (OpenAI, vLLM, llama.cpp) as a ContextOverflow."""
    low = message.lower()
    if not any(h in low for h in _OVERFLOW_HINTS):
        return None
    w = _WINDOW.search(message)
    r = _REQUESTED.search(message)
    window = int(w.group(1)) if w else None
    requested = int(r.group(1)) if r else None
    size = f" of {window} tokens" if window else ""
    return ContextOverflow(
        f"{provider}: the prompt does not fit the model's context window{size}", window, requested
    )
