"""Why a statement belongs elsewhere: data-flow reasons that make one move likelier than the rest.

Each function returns a multiplier (1.0: no reason) for one kind of move of the `move` family.
The shapes come from the moved statements of the development corpus's fixes (bench/real/
PATTERNS.md, "statement moved" 17 bugs and "indentation" 7): a loop-invariant reset inside the
loop it should precede, an in-place finishing step (`s.reverse()`) repeated on every iteration, a
flag set once before the loop that should be reset on each pass, a statement that destroys what
its next sibling still reads, a read placed before the guard that makes it safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from treefix.code.syntax import assignment_sides, iter_nodes
from treefix.propose.mutate.names import is_read
from treefix.propose.mutate.scope import target_names

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

STRONG = 2.5  # a data-flow reason: worth about what a one-token fix of the same line is
_DESTROY = frozenset({"remove", "pop", "popleft", "clear", "sort", "reverse"})
_FINISH = frozenset({"reverse", "sort"})
_EXITS = frozenset({"return_statement", "raise_statement"})
LOOPS = frozenset({"for_statement", "while_statement"})


def _assign(stmt: Node) -> tuple[Node, Node] | None:
    """(left, right) of a plain `x = value` statement."""
    sides = assignment_sides(stmt)
    return sides if sides is not None and sides[0].type == "identifier" else None


def reads(f: SourceFile, node: Node) -> set[str]:
    return {f.text(n) for n in iter_nodes(node) if n.type == "identifier" and is_read(n)}


def assigned_in(f: SourceFile, node: Node, skip: Node | None = None) -> set[str]:
    """Names bound anywhere inside the node (loop targets and assignments), `skip` excluded."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if skip is not None and n == skip:
            continue
        if n.type in ("assignment", "augmented_assignment", "for_statement"):
            out.update(f.text(i) for i in target_names(n.child_by_field_name("left")))
        stack.extend(n.children)
    return out


def reset_out(f: SourceFile, stmt: Node, loop: Node) -> float:
    """`x = lst[0]` first in a loop that also updates `x`, reading nothing the loop changes: it
    re-initialises on every pass what should be set once, before the loop."""
    parts = _assign(stmt)
    if parts is None or loop.type not in LOOPS:
        return 1.0
    left, right = parts
    name = f.text(left)
    changed = assigned_in(f, loop, skip=stmt)
    if name in changed and not (reads(f, right) & changed):
        return STRONG
    return 1.0


def _method_call(f: SourceFile, stmt: Node) -> tuple[str, str] | None:
    """(receiver, method) of a statement that is one method call, `obj.method(...)`."""
    if stmt.type != "expression_statement" or not stmt.named_children:
        return None
    call = stmt.named_children[0]
    fn = call.child_by_field_name("function") if call.type == "call" else None
    if fn is None or fn.type != "attribute":
        return None
    obj, attr = fn.child_by_field_name("object"), fn.child_by_field_name("attribute")
    if obj is None or attr is None:
        return None
    return f.text(obj), f.text(attr)


def finish_out(f: SourceFile, stmt: Node, loop: Node) -> float:
    """`s.reverse()` (or `.sort()`) last in the loop that builds `s`: a step for after the loop."""
    called = _method_call(f, stmt) if loop.type in LOOPS else None
    return STRONG if called is not None and called[1] in _FINISH else 1.0


def destroys_read(f: SourceFile, stmt: Node, nxt: Node) -> float:
    """`lst.remove(m)` right before a statement that still reads `lst`: the read comes first."""
    called = _method_call(f, stmt)
    if called is None or called[1] not in _DESTROY:
        return 1.0
    return STRONG if called[0] in reads(f, nxt) else 1.0


def before_guard(f: SourceFile, stmt: Node, nxt: Node) -> float:
    """`first = lst[0]` right before `if not lst: return ...`: the read belongs after the guard."""
    if nxt.type != "if_statement" or _assign(stmt) is None:
        return 1.0
    body = nxt.child_by_field_name("consequence")
    kids = [c for c in body.named_children if c.type != "comment"] if body is not None else []
    cond = nxt.child_by_field_name("condition")
    if not kids or kids[-1].type not in _EXITS or cond is None:
        return 1.0
    _, right = _assign(stmt) or (None, None)
    return STRONG if right is not None and reads(f, cond) & reads(f, right) else 1.0


def reset_into(f: SourceFile, stmt: Node, later: list[Node]) -> Node | None:
    """`found = False` before a loop that sets `found` again: the first such loop among the
    statements that follow (the flag should be reset on each pass), else None."""
    parts = _assign(stmt)
    if parts is None or parts[1].type not in ("true", "false", "integer", "none", "string"):
        return None
    name = f.text(parts[0])
    for s in later:
        if s.type in LOOPS:
            body = s.child_by_field_name("body")
            if body is not None and name in assigned_in(f, body):
                return s
        elif name in reads(f, s) or name in assigned_in(f, s):
            return None  # used on the way: it is not only the loop's flag
    return None
