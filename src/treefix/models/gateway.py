"""Every model call goes through one `Gateway`: budgets checked before the call, the response
cache, retries with backoff, cost accounting and the trajectory record.

Budgets are hard: `BudgetExhausted` is raised *before* a call that would exceed `--max-llm-calls`
or a spend already at `--max-cost-usd`; the search catches it and stops with its best result.
A provider that refuses for good raises `FatalModelError`; one that still fails after the bounded
retries raises `TransientModelError`; a prompt over the context window raises `ContextOverflow`
(all `ProviderError`s, exit 4 when the model is the only proposer; see `treefix.errors`).
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from treefix.code.secrets import scrub
from treefix.errors import ContextOverflow, FatalModelError, ProviderError, TransientModelError
from treefix.models.base import Reply, Request, ToolCall, Usage
from treefix.models.pricing import Price, load_prices, price_for
from treefix.protocols import Model, StopSearch


class BudgetExhausted(StopSearch):
    """A hard model budget is reached; `reason` is the search's stop reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class RetryPolicy:
    max_retries: int = 4  # attempts after the first
    max_total: float = 90.0  # seconds spent on one call, waits included
    base_delay: float = 1.0
    max_delay: float = 20.0
    timeout: float = 60.0  # one request

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return retry_after  # honoured as given; the total-time bound still applies
        return min(self.max_delay, self.base_delay * 2**attempt) * (0.5 + rng.random() / 2)


@dataclass
class ModelStats:
    calls: int = 0  # requests answered by the provider (cache hits excluded)
    cached: int = 0  # answered from the on-disk cache
    requests: int = 0  # HTTP attempts, retries included
    retries: int = 0
    failures: int = 0  # calls that failed after their retries
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    cost_known: bool = True
    by_purpose: dict[str, int] = field(default_factory=dict)
    cost_by_purpose: dict[str, float] = field(default_factory=dict)  # USD per purpose
    overhead: float = 0.0  # seconds in treefix's own model-path code (prompts, parsing)
    seconds: float = 0.0  # wall time of the answered requests (the provider's latency)
    truncated: int = 0  # answers cut at the output token limit
    overflows: int = 0  # requests refused because the prompt exceeded the context window
    latencies: list[float] = field(default_factory=list)  # per answered call, seconds
    tool_calls: int = 0  # retrieval tools run for the model (propose/tools)
    tool_refused: int = 0  # of which refused: outside the project, a secret file, bad arguments

    def as_dict(self) -> dict:
        return {
            "calls": self.calls,
            "cached": self.cached,
            "requests": self.requests,
            "retries": self.retries,
            "failures": self.failures,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cache_read_tokens": self.usage.cache_read_tokens,
            "cache_write_tokens": self.usage.cache_write_tokens,
            "cost_usd": round(self.cost, 6) if self.cost_known else None,
            "by_purpose": dict(self.by_purpose),
            "seconds": round(self.seconds, 3),
            "output_tokens_per_s": (
                round(self.usage.output_tokens / self.seconds, 1) if self.seconds > 0 else None
            ),
            "latency_median_s": (
                round(statistics.median(self.latencies), 3) if self.latencies else None
            ),
            "call_latencies_s": [round(x, 3) for x in self.latencies],
            "truncated": self.truncated,
            "context_overflows": self.overflows,
            "tool_calls": self.tool_calls,
            "tool_calls_refused": self.tool_refused,
        }


class ResponseCache:
    """DIR/<hash[:2]>/<hash>.json, keyed by the hash of the full request."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.json"

    def get(self, digest: str) -> dict | None:
        p = self._path(digest)
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, digest: str, record: dict) -> None:
        p = self._path(digest)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(p)


RECORD_CHARS = 64 << 10  # most of one answer kept in trajectory.jsonl (head and tail)


def _clip(text: str) -> str:
    if len(text) <= RECORD_CHARS:
        return text
    half = RECORD_CHARS // 2
    return (
        f"{text[:half]}\n[... {len(text) - RECORD_CHARS} characters not kept ...]\n{text[-half:]}"
    )


class Gateway:
    def __init__(
        self,
        model: Model,
        *,
        max_calls: int | None = None,
        max_cost: float | None = None,
        retry: RetryPolicy | None = None,
        cache_dir: str | Path | None = None,
        prices: dict[str, Price] | None = None,
        deadline: float = float("inf"),
        sleep: Callable[[float], None] = time.sleep,
        seed: int = 0,
    ):
        self.model = model
        self.max_calls = max_calls
        self.max_cost = max_cost
        self.retry = retry or RetryPolicy()
        self.cache = ResponseCache(cache_dir) if cache_dir else None
        table = prices if prices is not None else load_prices()
        free = getattr(model, "free", False)  # a model running on this machine
        self.price = Price(0.0, 0.0, 0.0, 0.0) if free else price_for(model.name, table)
        self.deadline = deadline
        self.sleep = sleep
        self.stats = ModelStats(cost_known=self.price is not None)
        self.records: list[dict] = []  # one per call, for trajectory.jsonl
        self.on_call: Callable[[ModelStats], None] | None = None
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    @property
    def label(self) -> str:
        return f"{self.model.provider}:{self.model.name}"

    def check_budget(self) -> None:
        with self._lock:
            self._check()

    def _check(self) -> None:
        if self.max_calls is not None and self.stats.calls >= self.max_calls:
            raise BudgetExhausted(f"model call budget ({self.max_calls} calls)")
        if (
            self.max_cost is not None
            and self.price is not None
            and self.stats.cost >= self.max_cost
        ):
            raise BudgetExhausted(f"model cost budget (${self.max_cost:.2f})")
        if time.monotonic() >= self.deadline:
            raise BudgetExhausted("time limit")

    def complete(self, request: Request) -> Reply:
        digest = request.digest(self.model.provider, self.model.name)
        if self.cache is not None:
            hit = self.cache.get(digest)
            if hit is not None:
                reply = Reply(
                    text=hit["text"],
                    usage=Usage(**hit.get("usage", {})),
                    cost=0.0,
                    model=hit.get("model", self.model.name),
                    cached=True,
                    attempts=0,
                    digest=digest,
                    tool_calls=tuple(ToolCall(**c) for c in hit.get("tool_calls", ())),
                )
                with self._lock:
                    self.stats.cached += 1
                self._record(request, reply, None)
                return reply
        with self._lock:
            self._check()
            self.stats.calls += 1  # reserved now: parallel callers cannot overshoot
            self.stats.by_purpose[request.purpose] = (
                self.stats.by_purpose.get(request.purpose, 0) + 1
            )
        try:
            reply = self._with_retries(request)
        except ContextOverflow as exc:
            with self._lock:
                self.stats.overflows += 1
            self._record(request, None, str(exc))
            raise
        except ProviderError as exc:
            with self._lock:
                self.stats.failures += 1
            self._record(request, None, str(exc))
            raise
        reply.digest = digest
        reply.cost = self.price.cost(reply.usage) if self.price is not None else None
        with self._lock:
            self.stats.usage.add(reply.usage)
            self.stats.seconds += reply.latency
            self.stats.latencies.append(reply.latency)
            self.stats.truncated += reply.truncated
            if reply.cost is not None:
                self.stats.cost += reply.cost
                self.stats.cost_by_purpose[request.purpose] = (
                    self.stats.cost_by_purpose.get(request.purpose, 0.0) + reply.cost
                )
        if self.cache is not None:
            self.cache.put(
                digest,
                {
                    "text": reply.text,
                    "model": reply.model,
                    "tool_calls": [
                        {"id": c.id, "name": c.name, "arguments": c.arguments}
                        for c in reply.tool_calls
                    ],
                    "usage": {
                        "input_tokens": reply.usage.input_tokens,
                        "output_tokens": reply.usage.output_tokens,
                        "cache_read_tokens": reply.usage.cache_read_tokens,
                        "cache_write_tokens": reply.usage.cache_write_tokens,
                    },
                },
            )
        self._record(request, reply, None)
        if self.on_call is not None:
            self.on_call(self.stats)
        return reply

    def _with_retries(self, request: Request) -> Reply:
        start = time.monotonic()
        attempt = 0
        while True:
            with self._lock:
                self.stats.requests += 1
            remaining = min(
                self.retry.max_total - (time.monotonic() - start), self.deadline - time.monotonic()
            )
            timeout = max(1.0, min(self.retry.timeout, remaining))
            t0 = time.monotonic()
            try:
                reply = self.model.complete(request, timeout)
                reply.latency = time.monotonic() - t0
                reply.attempts = attempt + 1
                return reply
            except ContextOverflow as exc:  # the same request would fail again: trim, not retry
                raise ContextOverflow(scrub(str(exc)), exc.window, exc.requested) from None
            except FatalModelError as exc:
                raise FatalModelError(scrub(str(exc)), exc.status) from None
            except TransientModelError as exc:
                wait = self.retry.delay(attempt, exc.retry_after, self._rng)
                elapsed = time.monotonic() - start
                out_of_time = (
                    elapsed + wait > self.retry.max_total
                    or time.monotonic() + wait >= self.deadline
                )
                if attempt >= self.retry.max_retries or out_of_time:
                    why = f"{attempt + 1} attempts in {elapsed:.1f}s"
                    raise TransientModelError(
                        scrub(f"{exc} (still failing after {why})"), status=exc.status
                    ) from None
                with self._lock:
                    self.stats.retries += 1
                attempt += 1
                self.sleep(wait)
            except ProviderError as exc:  # pragma: no cover - a provider bug
                raise FatalModelError(scrub(str(exc)), exc.status) from None

    def _record(self, request: Request, reply: Reply | None, error: str | None) -> None:
        # (a 50 MB answer must not become a 50 MB trajectory line: see _clip)
        rec: dict = {
            "type": "model_call",
            "purpose": request.purpose,
            "model": self.label,
            "prompt_sha256": request.digest(self.model.provider, self.model.name),
            "temperature": request.temperature,
            "sample": request.sample,
        }
        if reply is not None:
            rec.update(
                {
                    "response": _clip(scrub(reply.text)),
                    "response_chars": len(reply.text),
                    "cached": reply.cached,
                    "attempts": reply.attempts,
                    "usage": {
                        "input_tokens": reply.usage.input_tokens,
                        "output_tokens": reply.usage.output_tokens,
                        "cache_read_tokens": reply.usage.cache_read_tokens,
                        "cache_write_tokens": reply.usage.cache_write_tokens,
                    },
                    "cost_usd": reply.cost,
                    "latency_s": round(reply.latency, 3),
                    "finish_reason": reply.finish_reason,
                }
            )
            if reply.tool_calls:
                rec["tool_calls"] = [
                    {"name": c.name, "arguments": c.arguments} for c in reply.tool_calls
                ]
        if error is not None:
            rec["error"] = error
        with self._lock:
            self.records.append(rec)

    def record_tool(self, call: ToolCall, result: str, refused: str | None) -> None:
        """One tool run for the model: counted and kept in trajectory.jsonl (the call itself
        costs nothing; the model call that reads its result is counted as any other)."""
        rec: dict = {
            "type": "tool_call",
            "tool": call.name,
            "arguments": call.arguments,
            "result": _clip(scrub(result)),
            "result_chars": len(result),
        }
        if refused is not None:
            rec["refused"] = refused
        with self._lock:
            self.stats.tool_calls += 1
            self.stats.tool_refused += refused is not None
            self.records.append(rec)
