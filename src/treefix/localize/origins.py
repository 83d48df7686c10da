"""Where a failing attribute or parameter got its value: across methods, and into `def` defaults.

The slice (slice.py) stays inside the failing function, so a value an object carries from its
constructor, or a parameter's default, is out of its reach:

    def __init__(self, worker_id, last_active=None):     <- the default made it (the fix)
        self.last_active = last_active                   <- stored it
    def prune(self, config):
        if self.last_active + config.delay < time.time():   <- failed: None + int

From the failing statement's reads: `self.x` leads to the statements of the same class's
methods that assign `self.x = ...`; a name that is a parameter with a default leads to the
`def` (its header holds the default). One assignment's bare-name right side that is its own
method's parameter with a default leads on to that `def`. Only names, no calls followed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import assignment_sides, iter_nodes
from treefix.localize.slice import reads
from treefix.localize.statements import statements_within

if TYPE_CHECKING:
    from tree_sitter import Node

_DEFAULTS = ("default_parameter", "typed_default_parameter")


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _parameters(function: Node) -> list[Node]:
    params = function.child_by_field_name("parameters")
    return list(params.named_children) if params is not None else []


def _receiver(function: Node) -> str | None:
    """The name of a method's first parameter (`self` by convention, not by rule)."""
    params = _parameters(function)
    if not params:
        return None
    first = params[0]
    if first.type == "identifier":
        return _text(first)
    name = first.child_by_field_name("name")
    return _text(name) or None


def defaulted(function: Node) -> set[str]:
    """The parameters of `function` that have a default value."""
    return {
        _text(p.child_by_field_name("name")) for p in _parameters(function) if p.type in _DEFAULTS
    }


def attributes_read(expr: Node, receiver: str) -> set[str]:
    """`x` for every `receiver.x` that `expr` reads."""
    out: set[str] = set()
    for n in iter_nodes(expr):
        if n.type == "attribute" and _text(n.child_by_field_name("object")) == receiver:
            out.add(_text(n.child_by_field_name("attribute")))
    return out


def _methods(cls: Node) -> Iterator[Node]:
    body = cls.child_by_field_name("body")
    for child in body.named_children if body is not None else ():
        if child.type == "decorated_definition":
            child = child.child_by_field_name("definition") or child
        if child.type == "function_definition":
            yield child


def _class_of(function: Node) -> Node | None:
    n = function.parent
    while n is not None and n.type in ("block", "decorated_definition"):
        n = n.parent
    return n if n is not None and n.type == "class_definition" else None


def _assigned_attribute(stmt: Node, receiver: str) -> tuple[str, Node] | None:
    """(x, right side) for a statement `receiver.x = right`."""
    sides = assignment_sides(stmt)
    if sides is None or sides[0].type != "attribute":
        return None
    left, right = sides
    if _text(left.child_by_field_name("object")) != receiver:
        return None
    return _text(left.child_by_field_name("attribute")), right


def value_origins(expr: Node, function: Node) -> Iterator[tuple[Node, int]]:
    """(statement or `def`, hops): the `def` of `function` when `expr` reads one of its
    defaulted parameters (1 hop); the class's `self.x = ...` for each `self.x` it reads (1 hop),
    and the `def` of that method when the right side is its defaulted parameter (2 hops)."""
    names = reads(expr)
    if names & defaulted(function):
        yield function, 1
    receiver = _receiver(function)
    cls = _class_of(function)
    wanted = attributes_read(expr, receiver) if receiver and cls is not None else set()
    if not wanted or cls is None:
        return
    for method in _methods(cls):
        own = _receiver(method)
        body = method.child_by_field_name("body")
        if own is None or body is None:
            continue
        for stmt in statements_within(body):
            assigned = _assigned_attribute(stmt, own)
            if assigned is None or assigned[0] not in wanted:
                continue
            yield stmt, 1
            right = assigned[1]
            if right.type == "identifier" and _text(right) in defaulted(method):
                yield method, 2
