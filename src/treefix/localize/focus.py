"""What one failing test talks about: its own function's identifiers and what its failure
said, for the statement tie-break.

The test file's words (lexical.py) pick the function; inside it, and among functions the file's
words cannot tell apart, the failing test function's own body names what it exercises
(`response_model_skip_defaults=True`, `sequence_shapes`, a parameter called `form`) more sharply
than a file holding dozens of tests does. Its failure's message and assertion detail name what
it observed: the keys of a wrong dict (`'parameters': [...]`), a missing attribute, a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.localize.lexical import tokens
from treefix.localize.statements import FileIndex, index_file

if TYPE_CHECKING:
    from tree_sitter import Node


@lru_cache(maxsize=128)
def _test_functions(source: bytes) -> dict[bytes, tuple[tuple[bytes, bytes], ...]]:
    """name -> ((enclosing class name or b"", source of the def), ...), in file order."""
    out: dict[bytes, list[tuple[bytes, bytes]]] = {}
    for node in iter_nodes(index_file(source).tree.root_node):
        ident = node.child_by_field_name("name") if node.type == "function_definition" else None
        if ident is None or not ident.text:
            continue
        owner = node.parent
        while owner is not None and owner.type in ("block", "decorated_definition"):
            owner = owner.parent
        cls = owner.child_by_field_name("name") if owner is not None else None
        in_class = b""
        if owner is not None and owner.type == "class_definition" and cls is not None:
            in_class = cls.text or b""
        out.setdefault(ident.text, []).append((in_class, node.text or b""))
    return {name: tuple(found) for name, found in out.items()}


def test_source(index: FileIndex, nodeid: str) -> bytes | None:
    """The source of the `def` a pytest node id names (`file::Class::test_name[param]`): the
    one in that class when there are several."""
    parts = nodeid.split("::")[1:]
    if not parts:
        return None
    found = _test_functions(index.source).get(parts[-1].split("[", 1)[0].encode())
    if not found:
        return None
    cls = parts[-2].encode() if len(parts) > 1 else b""
    return next((text for owner, text in found if owner == cls), found[0][1])


def focus_tokens(
    nodeids: Iterable[str], index_of: Callable[[str], FileIndex | None], said: str = ""
) -> frozenset[str]:
    """The identifiers of the failing test functions' own sources and names, and the words of
    what their failures said (`said`: messages and assertion details)."""
    out: set[str] = set(tokens(said.encode("utf-8", "replace")))
    for nodeid in nodeids:
        index = index_of(nodeid.split("::", 1)[0])
        source = test_source(index, nodeid) if index is not None else None
        if source:
            out |= tokens(source)
        out |= tokens(nodeid.split("::")[-1].split("[", 1)[0].encode("ascii", "replace"))
    return frozenset(out)


def statement_text(node: Node) -> bytes:
    """A simple statement's text; a compound statement's header (up to its body)."""
    source = node.text or b""
    for child in node.children:
        if child.type == "block":
            return source[: child.start_byte - node.start_byte].rstrip()
    return source
