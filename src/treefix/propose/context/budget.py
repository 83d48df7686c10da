"""Token estimates for prompt parts: ~3 characters a token (code tokenises densely, so this errs
on the large side) and cutting a text to a budget at a line boundary."""

from __future__ import annotations

CHARS_PER_TOKEN = 3


def tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN


def fit(text: str, budget: int, note: str = "...[cut to the token budget]") -> str:
    """`text` cut at a line boundary to at most `budget` tokens (empty when the budget is 0)."""
    if budget <= 0:
        return ""
    limit = budget * CHARS_PER_TOKEN
    if len(text) <= limit:
        return text
    cut = text[:limit]
    nl = cut.rfind("\n")
    return (cut[:nl] if nl > 0 else cut) + "\n" + note
