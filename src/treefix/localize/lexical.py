"""Lexical closeness of a function to the failing tests: the tie-breaker among equal scores.

A failing test in a big project often runs dozens of lines no passing test of its selection runs
(one failing and one passing test over a web framework): Ochiai gives them all the same score and
the first 15 by path were arbitrary. What the test talks about (its file's identifiers: the app
it builds, the calls it makes, its name) is what IR-based localisation (BLUiR, Agentless's file
ranking) uses; here it only orders statements whose scores are equal.

    closeness(f) = |T(f) & T(tests)| / sqrt(|T(f)| * |T(tests)|)    (cosine over token sets)

T: identifiers split at `_` and camelCase, lower-cased, at least 3 letters, minus keywords.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterable
from functools import lru_cache

_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_COMMON = frozenset(
    ["self", "cls", "none", "true", "false", "return", "def", "test", "tests", "assert", "args"]
    + ["kwargs", "str", "int", "dict", "list", "import", "from"]
)


@lru_cache(maxsize=8192)  # statements and functions are re-tokenised on every localisation
def tokens(source: bytes) -> frozenset[str]:
    out: set[str] = set()
    for match in _IDENT.finditer(source):
        word = match.group().decode("ascii")
        if keyword.iskeyword(word):
            continue
        for part in _PART.findall(word):
            part = part.lower()
            if len(part) >= 3 and part not in _COMMON:
                out.add(part)
    return frozenset(out)


def test_tokens(sources: Iterable[bytes], nodeids: Iterable[str]) -> frozenset[str]:
    """What the failing tests talk about: their files' identifiers and their own names."""
    out: set[str] = set()
    for source in sources:
        out |= tokens(source)
    for nodeid in nodeids:
        name = nodeid.split("::")[-1].split("[", 1)[0]
        out |= tokens(name.encode("ascii", "replace"))
    return frozenset(out)


def closeness(function: frozenset[str], tests: frozenset[str]) -> float:
    if not function or not tests:
        return 0.0
    return len(function & tests) / math.sqrt(len(function) * len(tests))
