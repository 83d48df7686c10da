"""USD per million tokens, per model. Override or extend with TREEFIX_PRICES=<file.json>:
{"model-name": {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75}}.
An unknown model still counts tokens; its cost is None ("unknown"), never a crash."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from treefix.models.base import Usage


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cache_read: float | None = None  # default: 10% of input
    cache_write: float | None = None  # default: 125% of input

    def cost(self, u: Usage) -> float:
        read = self.cache_read if self.cache_read is not None else self.input * 0.1
        write = self.cache_write if self.cache_write is not None else self.input * 1.25
        return (
            u.input_tokens * self.input
            + u.output_tokens * self.output
            + u.cache_read_tokens * read
            + u.cache_write_tokens * write
        ) / 1_000_000


PRICES: dict[str, Price] = {
    "claude-sonnet-5-5": Price(2.0, 10.0, 0.2, 2.5),
    "claude-sonnet-5": Price(2.0, 10.0, 0.2, 2.5),
    "claude-sonnet-4-6": Price(3.0, 15.0, 0.3, 3.75),
    "claude-opus-4-5": Price(5.0, 25.0, 0.5, 6.25),
    "claude-opus-4-1": Price(15.0, 75.0, 1.5, 18.75),
    "claude-opus-4": Price(15.0, 75.0, 1.5, 18.75),
    "claude-sonnet-4-5": Price(3.0, 15.0, 0.3, 3.75),
    "claude-sonnet-4": Price(3.0, 15.0, 0.3, 3.75),
    "claude-3-7-sonnet": Price(3.0, 15.0, 0.3, 3.75),
    "claude-haiku-4-5": Price(1.0, 5.0, 0.1, 1.25),
    "claude-3-5-haiku": Price(0.8, 4.0, 0.08, 1.0),
    "gpt-4.1": Price(2.0, 8.0, 0.5, 0.0),
    "gpt-4.1-mini": Price(0.4, 1.6, 0.1, 0.0),
    "gpt-4.1-nano": Price(0.1, 0.4, 0.025, 0.0),
    "gpt-4o": Price(2.5, 10.0, 1.25, 0.0),
    "gpt-4o-mini": Price(0.15, 0.6, 0.075, 0.0),
    "gpt-5": Price(1.25, 10.0, 0.125, 0.0),
    "gpt-5-mini": Price(0.25, 2.0, 0.025, 0.0),
    "scripted": Price(0.0, 0.0, 0.0, 0.0),
}


def load_prices(path: str | None = None) -> dict[str, Price]:
    table = dict(PRICES)
    path = path or os.environ.get("TREEFIX_PRICES")
    if path:
        with open(path, encoding="utf-8") as fh:
            for name, p in json.load(fh).items():
                table[name] = Price(
                    float(p["input"]),
                    float(p["output"]),
                    None if p.get("cache_read") is None else float(p["cache_read"]),
                    None if p.get("cache_write") is None else float(p["cache_write"]),
                )
    return table


def price_for(model: str, table: dict[str, Price]) -> Price | None:
    """Exact name, else the longest known prefix (dated snapshots: claude-sonnet-4-5-20250929)."""
    if model in table:
        return table[model]
    best = max((k for k in table if model.startswith(k + "-")), key=len, default=None)
    return table[best] if best else None
