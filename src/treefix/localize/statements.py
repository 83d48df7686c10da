"""Per-file statement lookup for the ranker.

One tree walk builds the line -> statement map that `syntax.statement_at` computes per call, with
the same answers: the outermost statement starting on the line, else the innermost covering it.
Walking the whole tree once per covered line is quadratic, and coverage reports hundreds of lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from treefix.code.syntax import SIMPLE_STATEMENTS, STATEMENTS, has_syntax_error, parse

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

LOOPS = frozenset({"while_statement", "for_statement"})
_SCOPES = frozenset({"function_definition", "class_definition", "lambda", "module"})


@dataclass
class FileIndex:
    source: bytes
    tree: Tree
    line_count: int
    broken: bool  # Python does not compile it
    _starts: dict[int, Node] = field(default_factory=dict, repr=False)
    _covers: dict[int, Node] = field(default_factory=dict, repr=False)

    def statement(self, line: int) -> Node | None:
        """The statement `syntax.statement_at(tree, line)` would return."""
        row = line - 1
        return self._starts.get(row) or self._covers.get(row)


@lru_cache(maxsize=512)
def index_file(source: bytes) -> FileIndex:
    """Cached by content: search states share most files with the baseline."""
    tree = parse(source)
    index = FileIndex(source, tree, source.count(b"\n") + 1, has_syntax_error(source))
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in STATEMENTS:
            first, last = node.start_point[0], node.end_point[0]
            index._starts.setdefault(first, node)  # pre-order: the outermost comes first
            for row in range(first, last + 1):
                index._covers[row] = node  # later in pre-order = more deeply nested
            if node.type in SIMPLE_STATEMENTS:
                continue  # expressions hold no statements; skipping them keeps the walk short
        stack.extend(reversed(node.children))
    return index


def start_line(node: Node) -> int:
    return node.start_point[0] + 1


def enclosing_loop(node: Node) -> Node | None:
    """The innermost while/for holding `node` (or `node` itself) within the same function."""
    n: Node | None = node
    while n is not None and n.type not in _SCOPES:
        if n.type in LOOPS:
            return n
        n = n.parent
    return None


DECISIONS = frozenset({"if_statement", "elif_clause", "while_statement"})


def deciding(node: Node) -> Node | None:
    """The `if`/`elif`/`while` whose branch holds `node` (an `else` branch: its `if`), within
    the same function; None at the function's top level."""
    n = node.parent
    while n is not None and n.type not in _SCOPES:
        if n.type in DECISIONS:
            return n
        if n.type == "else_clause":
            return n.parent
        n = n.parent
    return None


def in_function(node: Node) -> bool:
    """Module and class bodies run once, at import: their coverage says nothing about a test."""
    n = node.parent
    while n is not None:
        if n.type in ("function_definition", "lambda"):
            return True
        n = n.parent
    return False


def statements_within(node: Node) -> Iterator[Node]:
    """Statements nested in `node` (not `node` itself), without entering nested def/class bodies."""
    stack = list(reversed(node.children))
    while stack:
        n = stack.pop()
        if n.type in STATEMENTS:
            yield n
            if n.type in SIMPLE_STATEMENTS or n.type in ("function_definition", "class_definition"):
                continue
        stack.extend(reversed(n.children))
