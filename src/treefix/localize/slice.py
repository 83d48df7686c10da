"""Where the failing values came from: a name-based backward slice within the failing function.

The innermost project frame says where a test failed, not where the wrong value was made:

    positional_params = [(n, p) for n, p in params if p.significant]   <- made it
    for i, arg in enumerate(args):
        if i >= len(positional_params):                                <- decided
            raise UnknownParameterException(...)                       <- failed

From the statement that failed (for a `raise` under an `if`: that `if`'s condition), the names it
reads lead back to the statements of the same function, above it, that assigned them
(`x = ...`, `x[k] = ...`, `x.a = ...`, `x += ...`, a `for`/`with` target, or a method call on
`x` such as `x.append(...)`, which changes it in place), and their own names further back, up to
MAX_HOPS steps. Only names matter: no aliasing, no calls followed, so it stays cheap and local.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.localize.guards import guard_of
from treefix.localize.statements import start_line, statements_within

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_HOPS = 3
_TARGETS = ("assignment", "augmented_assignment")
_NESTED = ("function_definition", "class_definition", "decorated_definition")


def reads(node: Node) -> set[str]:
    """Variable names `node` reads: identifiers, not attribute names or keyword names."""
    out: set[str] = set()
    for n in iter_nodes(node):
        if n.type != "identifier" or n.text is None:
            continue
        parent = n.parent
        field = {"attribute": "attribute", "keyword_argument": "name"}.get(
            parent.type if parent is not None else ""
        )
        if parent is not None and field and parent.child_by_field_name(field) == n:
            continue
        out.add(n.text.decode("utf-8", "replace"))
    return out


def _base(target: Node) -> str | None:
    """The variable a target changes: `x`, `x[k]`, `x.a`, `x.a[k]` -> x."""
    n: Node | None = target
    while n is not None and n.type in ("subscript", "attribute"):
        n = n.child_by_field_name("value") or n.child_by_field_name("object")
    if n is not None and n.type == "identifier" and n.text:
        return n.text.decode("utf-8", "replace")
    return None


def _names_in_target(target: Node) -> set[str]:
    if target.type in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list"):
        return {name for child in target.named_children for name in _names_in_target(child)}
    base = _base(target)
    return {base} if base else set()


def writes(stmt: Node) -> set[str]:
    """Names a statement (re)binds or changes in place; its header only for compound ones."""
    out: set[str] = set()
    if stmt.type == "expression_statement":
        for expr in stmt.named_children:
            if expr.type in _TARGETS:
                left = expr.child_by_field_name("left")
                if left is not None:
                    out |= _names_in_target(left)
            elif expr.type == "call":
                fn = expr.child_by_field_name("function")
                if fn is not None and fn.type == "attribute":
                    base = _base(fn.child_by_field_name("object") or fn)
                    if base:
                        out.add(base)
    elif stmt.type == "for_statement":
        left = stmt.child_by_field_name("left")
        if left is not None:
            out |= _names_in_target(left)
    elif stmt.type == "with_statement":
        for n in iter_nodes(stmt):
            if n.type == "as_pattern_target":
                out |= {name for c in n.named_children for name in _names_in_target(c)}
            if n.type == "block":
                break
    return out


def _sources(stmt: Node) -> Node:
    """What a writing statement computes its value from: a `for`'s iterable, a `with`'s items,
    else the whole statement."""
    if stmt.type == "for_statement":
        return stmt.child_by_field_name("right") or stmt
    if stmt.type == "with_statement":
        return next((c for c in stmt.children if c.type == "with_clause"), stmt)
    return stmt


def backward_slice(start: Node, function: Node) -> Iterator[tuple[Node, int]]:
    """(statement, hops) for the statements above `start` in `function` that assigned what it
    reads, transitively, nearest definition of each name first."""
    line = start_line(start)
    before = [s for s in statements_within(function) if start_line(s) < line]
    before.sort(key=lambda s: -s.start_byte)  # nearest first, walking up
    needed = reads(start)
    seen: set[int] = set()
    for hops in range(1, MAX_HOPS + 1):
        found: set[str] = set()
        for stmt in before:
            if stmt.start_byte in seen or stmt.type in _NESTED:
                continue
            hit = writes(stmt) & needed
            if hit:
                seen.add(stmt.start_byte)
                found |= reads(_sources(stmt))
                yield stmt, hops
        needed = found
        if not needed:
            return


def failing_expression(stmt: Node) -> Node:
    """What decided the failure at `stmt`: a guarded `raise`'s condition, a compound statement's
    header (an `if`'s or `while`'s condition, a `for`'s iterable), else the statement."""
    if stmt.type == "raise_statement":
        guard = guard_of(stmt)
        condition = guard.child_by_field_name("condition") if guard is not None else None
        if condition is not None:
            return condition
    if stmt.type in ("if_statement", "elif_clause", "while_statement"):
        return stmt.child_by_field_name("condition") or stmt
    if stmt.type == "for_statement":
        return stmt.child_by_field_name("right") or stmt
    return stmt
