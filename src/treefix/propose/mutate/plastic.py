"""Ingredient mutations: replace a condition, argument, return value, assigned value or operand
with donor code from elsewhere in the file (`ingredient`), and widen or narrow a condition with a
clause from another condition in scope (`addcond`; dropping a clause is `dropcond`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.exprs import ATOMIC
from treefix.propose.mutate.ingredients import (
    Donor,
    bound_at,
    callee_name,
    clauses,
    norm_expr,
    statement_condition,
)
from treefix.propose.mutate.site import Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

MAX_PER_TARGET = 3
_SHRINK = frozenset({"pop", "popleft", "popitem", "remove", "get_nowait", "clear"})
MAX_PER_SITE = 16  # ingredient mutants kept per statement, best first
MAX_CLAUSES = 5
_LITERALS = frozenset(
    {"integer", "float", "string", "none", "true", "false", "list", "dictionary", "tuple", "set"}
)
_ARG_DONORS = ("arg", "rhs", "ret", "operand", "expr")
_TIGHT = frozenset({"comparison_operator", "not_operator", "binary_operator", "unary_operator"})
_ALWAYS = frozenset({"true", "integer"})  # `while True:`, `while 1:`
_LOOSE = frozenset(
    {"boolean_operator", "conditional_expression", "lambda", "named_expression", "not_operator"}
)


def _norm(f: SourceFile, node: Node) -> str:
    return norm_expr(f.text(node)) or f.text(node)


def ingredient(site: Site) -> Iterator[Mutant]:
    found: list[Mutant] = []
    found.extend(_conditions(site))
    found.extend(_arguments(site))
    found.extend(_values(site))
    found.extend(_operands(site))
    found.sort(key=lambda m: -m.weight)
    yield from found[:MAX_PER_SITE]


def _replace(site: Site, node: Node, text: str, what: str, weight: float) -> Mutant:
    old = short(site.file.text(node), 28)
    desc = f"use {what} `{short(text, 32)}` for `{old}` in `{site.context}`"
    return Mutant("ingredient", ((node.start_byte, node.end_byte, text),), desc, weight)


def _conditions(site: Site) -> Iterator[Mutant]:
    f = site.file
    cond = statement_condition(site.stmt)
    if cond is None:
        return
    current = _norm(f, cond)
    for d, w in f.donors.usable(site, ("cond", "clause"), {current}, MAX_PER_TARGET):
        # binop, negate, dropcond and addcond reach most condition fixes more precisely
        yield _replace(site, cond, d.text, "the condition", 0.75 * w)
    if cond.type in _ALWAYS:
        # An endless loop where a collection's emptiness was meant (`while pending:`): the
        # names the body consumes (`pending.pop()`) first, then the others it uses.
        row = site.stmt.start_point[0]
        names = [n for n in site.scope.alternatives("", row, 8) if _bound(site, n)]
        consumed, used = _body_names(site)
        ranked = sorted(names, key=lambda n: (n not in consumed, n not in used))
        for rank, name in enumerate(ranked[:MAX_PER_TARGET]):
            w = 1.0 if name in consumed else 0.9 if name in used else 0.8
            yield _replace(site, cond, name, "the condition", w - 0.05 * rank)


def _body_names(site: Site) -> tuple[set[str], set[str]]:
    """Names the loop body shrinks (`x.pop()`, `x.popleft()`, `del x[0]`), and all it reads."""
    f = site.file
    body = site.stmt.child_by_field_name("body")
    consumed: set[str] = set()
    used: set[str] = set()
    for n in iter_nodes(body) if body is not None else ():
        if n.type == "identifier":
            used.add(f.text(n))
        elif n.type == "attribute":
            obj, name = n.child_by_field_name("object"), n.child_by_field_name("attribute")
            if obj is not None and name is not None and f.text(name) in _SHRINK:
                consumed.add(f.text(obj))
        elif n.type == "delete_statement":
            consumed.update(f.text(i) for i in iter_nodes(n) if i.type == "identifier")
    return consumed, used


def _bound(site: Site, name: str) -> bool:
    return bound_at(site, name)


def _arguments(site: Site) -> Iterator[Mutant]:
    f = site.file
    for call in site.nodes("call"):
        args = call.child_by_field_name("arguments")
        if args is None or args.type != "argument_list":
            continue
        callee = callee_name(f, call)
        pos = 0
        for a in args.named_children:
            if a.type in ("keyword_argument", "list_splat", "dictionary_splat", "comment"):
                continue
            current = _norm(f, a)
            pool = f.donors.usable(site, _ARG_DONORS, {current}, 3 * MAX_PER_TARGET)
            # What the same callee takes at this position elsewhere comes first.
            same = [
                (d, w) for d, w in pool if d.kind == "arg" and (d.callee, d.pos) == (callee, pos)
            ]
            rest = [(d, w * 0.85) for d, w in pool if (d, w) not in same and _rich(d)]
            for d, w in (same + rest)[:MAX_PER_TARGET]:
                yield _replace(site, a, d.text, "the argument", w)
            pos += 1


def _values(site: Site) -> Iterator[Mutant]:
    """A return value, or an assigned value, taken from another return or assignment."""
    f, stmt = site.file, site.stmt
    if stmt.type == "return_statement":
        values = [c for c in stmt.named_children if c.type != "comment"]
        if values and values[0].type != "expression_list":
            v = values[0]
            pool = f.donors.usable(site, ("ret", "rhs"), {_norm(f, v)}, 3 * MAX_PER_TARGET)
            # another return's literal is fine (`return 0` for `return None`), an assigned one
            # (`x = []`) is an initial value, rarely a result
            pool = [(d, w) for d, w in pool if d.kind == "ret" or _rich(d)]
            for d, w in pool[:MAX_PER_TARGET]:
                yield _replace(site, v, d.text, "the value", w * (1.0 if d.kind == "ret" else 0.8))
        return
    for n in site.nodes("assignment"):
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is None or right is None or right.type == "assignment":
            continue
        target = f.text(left)
        pool = f.donors.usable(site, ("rhs",), {_norm(f, right)}, 3 * MAX_PER_TARGET)
        same = [(d, w) for d, w in pool if d.callee == target][:MAX_PER_TARGET]
        for d, w in same:
            yield _replace(site, right, d.text, "the value", w if _rich(d) else 0.6 * w)


def _operands(site: Site) -> Iterator[Mutant]:
    """An operand of an arithmetic or comparison (`Change Binary Operand`, TSSB-3M's second most
    frequent pattern): replaced by an operand used elsewhere in the same function."""
    f = site.file
    for n in site.nodes("binary_operator", "comparison_operator"):
        if any(t.type in ("is", "is not") for t in n.children if not t.is_named):
            continue  # identity against a donor value is never meant
        for c in n.named_children:
            if c.type not in ("identifier", "attribute", "subscript", "call", "integer"):
                continue
            current = _norm(f, c)
            pool = f.donors.usable(site, ("operand", "expr"), {current}, 3 * MAX_PER_TARGET)
            # A name for a name is rename's job, a number for a number const's: richer donors here.
            rich = [(d, w) for d, w in pool if d.node_type != "identifier" and _rich(d)]
            for d, w in rich[:3]:
                yield _replace(site, c, d.text, "the operand", 0.9 * w)


def addcond(site: Site) -> Iterator[Mutant]:
    """`if a:` -> `if a and c:` / `if a or c:`, c a clause of another condition in scope."""
    f = site.file
    cond = statement_condition(site.stmt)
    if cond is None or cond.type in _ALWAYS:
        return
    present = {_norm(f, c) for c in clauses(cond)}
    text = f.text(cond)
    base = f"({text})" if cond.type in _LOOSE and cond.type != "not_operator" else text
    is_or = cond.type == "boolean_operator" and _op(cond) == "or"
    is_and = cond.type == "boolean_operator" and _op(cond) == "and"
    for d, w in f.donors.usable(site, ("clause",), present, MAX_CLAUSES):
        clause = d.text if _tight(d.node_type) else f"({d.text})"
        left_and = text if is_and or cond.type == "not_operator" else base
        left_or = text if is_or or cond.type == "not_operator" else base
        what = short(d.text, 32)
        yield Mutant(
            "addcond",
            ((cond.start_byte, cond.end_byte, f"{left_and} and {clause}"),),
            f"add `and {what}` to `{site.context}`",
            w,
        )
        yield Mutant(
            "addcond",
            ((cond.start_byte, cond.end_byte, f"{left_or} or {clause}"),),
            f"add `or {what}` to `{site.context}`",
            0.6 * w,  # less specific if: 22K fixes to more specific if's 68K (TSSB-3M)
        )


def _rich(d: Donor) -> bool:
    """Worth taking from another place: not a bare literal (`0`, `-1`, `[]`, `None`)."""
    return d.node_type not in _LITERALS and not d.text.lstrip("-").isdigit()


def _op(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def _tight(node_type: str) -> bool:
    """A clause of this type binds tighter than `and`/`or` (no parentheses needed)."""
    return node_type in ATOMIC or node_type in _TIGHT
