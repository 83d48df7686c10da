"""Assertion distance: how far a failing `assert actual == expected` is from passing, in [0, 1].

Read from the first line of pytest's failure message (`AssertionError: assert 7 == 10`), whose two
sides are reprs. Numbers compare by relative difference, strings by edit similarity, sequences
element by element, sets and dicts by overlap. Anything that is not a literal on both sides has no
distance (None): the reward then falls back to pass/fail.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Mapping

_PREFIXES = ("AssertionError:", "assert ")


def parse_comparison(message: str) -> tuple[object, object] | None:
    """(left, right) of an `assert X == Y` message whose sides are Python literals."""
    line = message.splitlines()[0].strip() if message else ""
    if line.startswith(_PREFIXES[0]):
        line = line[len(_PREFIXES[0]) :].strip()
    if not line.startswith(_PREFIXES[1]):
        return None
    try:
        tree = ast.parse(line[len(_PREFIXES[1]) :], mode="eval").body
    except (SyntaxError, ValueError):
        return None
    if not (
        isinstance(tree, ast.Compare) and len(tree.ops) == 1 and isinstance(tree.ops[0], ast.Eq)
    ):
        return None
    try:
        return ast.literal_eval(tree.left), ast.literal_eval(tree.comparators[0])
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def distance(a: object, b: object, depth: int = 0) -> float:
    """0 when equal, 1 when unrelated (different kinds, or nested too deep to judge)."""
    if a == b:
        return 0.0
    if depth > 4:
        return 1.0
    if _number(a) and _number(b):
        x, y = float(a), float(b)  # type: ignore[arg-type]
        if not (math.isfinite(x) and math.isfinite(y)):
            return 1.0
        return min(1.0, abs(x - y) / (abs(x) + abs(y)))  # both zero is handled by a == b
    if isinstance(a, str) and isinstance(b, str) or isinstance(a, bytes) and isinstance(b, bytes):
        return 1.0 - difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) == len(b):
            return sum(distance(x, y, depth + 1) for x, y in zip(a, b, strict=True)) / len(a)
        # different lengths: how much of the two sequences lines up, item by item
        ra, rb = [repr(x) for x in a], [repr(y) for y in b]
        return 1.0 - difflib.SequenceMatcher(None, ra, rb, autojunk=False).ratio()
    if isinstance(a, (set, frozenset)) and isinstance(b, (set, frozenset)):
        return 1.0 - len(a & b) / len(a | b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        keys = set(a) | set(b)
        return sum(
            distance(a[k], b[k], depth + 1) if k in a and k in b else 1.0 for k in keys
        ) / len(keys)
    return 1.0


def _number(x: object) -> bool:
    # bools compare as values of their own kind: True vs False is unrelated, not "1 apart"
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def assertion_distance(message: str) -> float | None:
    """The distance of a failed equality assertion, or None when the message holds none."""
    sides = parse_comparison(message)
    if sides is None:
        return None
    return distance(*sides)
