"""The `Model` seam: messages in; text, token usage and cost out.

A provider implementation makes exactly one attempt per `complete()` call and translates its SDK's
failures into `TransientModelError` (worth retrying: 429, 5xx, connection, timeout) or
`FatalModelError` (401/403 bad key, 404 unknown model, 400 bad request). Retries, budgets, the
response cache and accounting live in `treefix.models.gateway`, the same for every provider.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Protocol


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


class Model(Protocol):
    provider: str  # "anthropic" | "openai" | "scripted"
    name: str  # model name as the provider knows it

    def complete(self, request: Request, timeout: float) -> Reply:
        """One attempt. Raises TransientModelError / FatalModelError."""
        ...


class ModelError(Exception):
    pass


class TransientModelError(ModelError):
    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class FatalModelError(ModelError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status
