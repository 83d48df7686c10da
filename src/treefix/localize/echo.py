"""Echoed literals: statements whose string literals the failing tests' output repeats.

A wrong value that is text (a query, a command line, a path, a message) carries the literals of
the statements that built it, and the failure shows it (pytest's assertion diff, mock's
"Expected: ... Actual: ...", an exception message):

    E   Actual: execute('select 1 ... where tablename = %s limit 1', ('dummy_table',))

    query = ("select 1 as table_exists from pg_table_def "
             "where tablename = %s limit 1")                 <- built it

The spectrum cannot tell that statement from the others the failing test ran, and no traceback
passes through it (the value was returned, not raised). When the output compares two values
(`A != B`, `assert A == B`, `Expected:`/`Actual:`, a diff's `-`/`+` lines) a literal counts only
when one side holds it and the other does not: the parts both sides share were built right. A
literal is matched as a whole (its text between quotes or around an f-string's holes), and only
when it says something: at least MIN_CHARS characters with a word of three letters, so `", "` or
`"%s"` echo nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.localize.statements import index_file

if TYPE_CHECKING:
    from tree_sitter import Node

MIN_CHARS = 8
_WORD = re.compile(r"[A-Za-z]{3}")
_E_PREFIX = re.compile(r"^(?:E\s+)?\s*")  # pytest's "E   " before each line of the failure
_ASSERT = re.compile(r"^(?:\w+Error:\s*)?(?:assert\s+)?")


def fragments(string: Node) -> Iterator[tuple[int, str]]:
    """(line, text) of a string literal's pieces: its content between f-string holes."""
    for child in string.children:
        if child.type == "string_content" and child.text:
            text = child.text.decode("utf-8", "replace").strip()
            if len(text) >= MIN_CHARS and _WORD.search(text):
                yield child.start_point[0] + 1, text


def sides(evidence: str) -> list[tuple[str, str]]:
    """The pairs of values the output compares (expected and actual, in either order)."""
    pairs: list[tuple[str, str]] = []
    labelled: dict[str, list[str]] = {"expected": [], "actual": [], "-": [], "+": []}
    for raw in evidence.splitlines():
        line = _E_PREFIX.sub("", raw)
        head = _ASSERT.sub("", line)
        for op in (" != ", " == "):
            if op in head:
                left, right = head.split(op, 1)
                pairs.append((left, right))
                break
        label = line.split(":", 1)[0].strip().lower()
        if label in ("expected", "actual") and ":" in line:
            labelled[label].append(line.split(":", 1)[1])
        elif line[:1] in ("-", "+") and line[1:2] == " ":  # a diff line, not "--flag" or "-1"
            labelled[line[0]].append(line[2:])
    for a, b in (("expected", "actual"), ("-", "+")):
        if labelled[a] and labelled[b]:
            pairs.append(("\n".join(labelled[a]), "\n".join(labelled[b])))
    return pairs


@lru_cache(maxsize=512)
def literals(source: bytes) -> tuple[tuple[int, str], ...]:
    """Every telling literal fragment of a file, (line, text); cached by content, since a search
    re-localises over mostly unchanged files."""
    root = index_file(source).tree.root_node
    return tuple(f for node in iter_nodes(root) if node.type == "string" for f in fragments(node))


def echoed_lines(source: bytes, evidence: str) -> set[int]:
    """1-based lines of the literals of `source` that `evidence` repeats verbatim: on one
    side of a comparison only, or anywhere when it compares nothing."""
    if not evidence:
        return set()
    pairs = sides(evidence)

    def echoes(text: str) -> bool:
        if not pairs:
            return text in evidence
        return any((text in a) != (text in b) for a, b in pairs)

    return {line for line, text in literals(source) if echoes(text)}
