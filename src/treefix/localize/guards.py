"""The decision behind a deliberate raise: when a failing test's innermost project frame is a
`raise` under an `if`, the `if` and the project functions its condition calls decided to raise.

    if not nx.is_directed_acyclic_graph(G):
        raise nx.NetworkXError("not a DAG")      <- where the tests failed

A wrong predicate (`is_directed_acyclic_graph` answering False for a DAG) fails every test of
every caller that guards on it, and each traceback ends at its caller's raise, never in the
predicate: the predicate returned normally. The spectrum cannot single it out either when many
passing tests call it too. So the guard's condition and the bodies of the functions it calls
are ranked as if they were one frame further in (GUARD_SHARE of the raise's score).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.code.testfiles import is_test_file
from treefix.localize.statements import FileIndex, statements_within

if TYPE_CHECKING:
    from tree_sitter import Node

GUARD_SHARE = 0.8
_MAX_DEFINITIONS = 3  # a name defined in more files than this says nothing about which one


def guard_of(raise_stmt: Node) -> Node | None:
    """The `if`/`elif` whose body holds the raise (directly: not a loop or `try` between)."""
    block = raise_stmt.parent
    owner = block.parent if block is not None and block.type == "block" else None
    guards = ("if_statement", "elif_clause")
    if (
        owner is not None
        and owner.type in guards
        and owner.child_by_field_name("consequence") == block
    ):
        return owner
    return None


def called_names(condition: Node) -> list[str]:
    """Names of the functions a condition calls (`f(x)`, `mod.f(x)`, `obj.f()` -> `f`)."""
    names: list[str] = []
    for n in iter_nodes(condition):
        if n.type != "call":
            continue
        fn = n.child_by_field_name("function")
        if fn is not None and fn.type == "attribute":
            fn = fn.child_by_field_name("attribute")
        if fn is not None and fn.type == "identifier" and fn.text:
            name = fn.text.decode("utf-8", "replace")
            if name not in names:
                names.append(name)
    return names


def definitions(
    name: str,
    paths: list[str],
    read: Callable[[str], bytes],
    index: Callable[[str], FileIndex | None],
) -> Iterator[tuple[str, Node]]:
    """`def name(` in the project's own non-test files (by text first: most files lack it)."""
    needle = f"def {name}(".encode()
    found = []
    for path in paths:
        if not path.endswith(".py") or is_test_file(path):
            continue
        try:
            if needle not in read(path):
                continue
        except Exception:
            continue
        idx = index(path)
        if idx is None or idx.broken:
            continue
        for n in iter_nodes(idx.tree.root_node):
            if n.type == "function_definition":
                ident = n.child_by_field_name("name")
                if ident is not None and ident.text == name.encode():
                    found.append((path, n))
        if len(found) > _MAX_DEFINITIONS:
            return
    yield from found


def guarded_statements(
    raise_stmt: Node,
    paths: list[str],
    read: Callable[[str], bytes],
    index: Callable[[str], FileIndex | None],
    known: dict[str, list[tuple[str, Node]]],
) -> Iterator[tuple[str | None, Node]]:
    """(path, statement) to rank for a raise: (None, the `if`) - the raise's own file - then
    every statement of each project function its condition calls."""
    guard = guard_of(raise_stmt)
    condition = guard.child_by_field_name("condition") if guard is not None else None
    if guard is None or condition is None:
        return
    yield None, guard
    for name in called_names(condition):
        if name not in known:  # many failing tests end at the same few raises
            known[name] = list(definitions(name, paths, read, index))
        for path, func in known[name]:
            body = func.child_by_field_name("body")
            for stmt in statements_within(body) if body is not None else ():
                yield path, stmt
