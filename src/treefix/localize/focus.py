"""What one failing test talks about: its own function's identifiers, for the statement tie-break.

The test file's words (lexical.py) pick the function; inside it, and among functions the file's
words cannot tell apart, the failing test function's own body names what it exercises
(`response_model_skip_defaults=True`, `sequence_shapes`, a parameter called `form`) more sharply
than a file holding dozens of tests does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.localize.lexical import tokens
from treefix.localize.statements import FileIndex

if TYPE_CHECKING:
    from tree_sitter import Node


def test_function(index: FileIndex, nodeid: str) -> Node | None:
    """The `def` a pytest node id names (`file::Class::test_name[param]`), innermost match."""
    parts = nodeid.split("::")[1:]
    if not parts:
        return None
    name = parts[-1].split("[", 1)[0].encode()
    for node in iter_nodes(index.tree.root_node):
        if node.type == "function_definition":
            ident = node.child_by_field_name("name")
            if ident is not None and ident.text == name:
                return node
    return None


def focus_tokens(
    nodeids: Iterable[str], index_of: Callable[[str], FileIndex | None]
) -> frozenset[str]:
    """The identifiers of the failing test functions' own sources and names."""
    out: set[str] = set()
    for nodeid in nodeids:
        index = index_of(nodeid.split("::", 1)[0])
        node = test_function(index, nodeid) if index is not None else None
        if node is not None and node.text:
            out |= tokens(node.text)
        out |= tokens(nodeid.split("::")[-1].split("[", 1)[0].encode("ascii", "replace"))
    return frozenset(out)


def statement_text(node: Node) -> bytes:
    """A simple statement's text; a compound statement's header (up to its body)."""
    source = node.text or b""
    for child in node.children:
        if child.type == "block":
            return source[: child.start_byte - node.start_byte].rstrip()
    return source
