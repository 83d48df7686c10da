"""Statements with nothing to get wrong: the last among equal scores.

A failing test's spectrum ties every statement it ran alone, bookkeeping included. Some of them
compute nothing a test could notice being wrong:

    pass
    errors = []                      a name or attribute bound to an empty container or None
    self.timeout = timeout           a parameter copied into the attribute of the same name

Developers' fixes rarely touch them (bench/real's corpus: 6 of 149 changed simple statements of
the repository bugs and 2 of 191 of the programs are such, against 7-8% of all statements of
the changed files), so among statements the other signals cannot tell apart these come last.
Their score is untouched: when a traceback or the spectrum singles one out, it still ranks
where the evidence puts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from treefix.code.syntax import assignment_sides

if TYPE_CHECKING:
    from tree_sitter import Node

_EMPTY = {"list", "dictionary", "set", "tuple"}
_EMPTY_CALLS = {b"list", b"dict", b"set", b"tuple"}


def _empty(value: Node) -> bool:
    if value.type == "none":
        return True
    if value.type in _EMPTY:
        return value.named_child_count == 0
    if value.type == "call":
        fn, args = value.child_by_field_name("function"), value.child_by_field_name("arguments")
        return (
            fn is not None
            and fn.text in _EMPTY_CALLS
            and args is not None
            and args.named_child_count == 0
        )
    return False


def _same_name_copy(left: Node, right: Node) -> bool:
    """`self.x = x` (any receiver): the attribute takes the parameter of its own name."""
    if left.type != "attribute" or right.type != "identifier":
        return False
    attr = left.child_by_field_name("attribute")
    return attr is not None and attr.text == right.text


def is_plumbing(stmt: Node) -> bool:
    if stmt.type == "pass_statement":
        return True
    sides = assignment_sides(stmt) if stmt.named_child_count == 1 else None
    if sides is None:
        return False
    left, right = sides
    return (left.type in ("identifier", "attribute") and _empty(right)) or _same_name_copy(
        left, right
    )
