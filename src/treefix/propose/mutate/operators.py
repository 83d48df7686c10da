"""Operator-level mutations: binop, negate, dropcond, swapargs and the `is`/`==` part of isnone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.propose.mutate.exprs import ATOMIC, SINGLETONS, atom, negated
from treefix.propose.mutate.site import Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

ARITH = ("+", "-", "*", "/", "//", "%", "**")
BITWISE = ("&", "|", "^", "<<", ">>")
COMPARE = ("<", "<=", ">", ">=", "==", "!=")
# Slips people make (strictness, direction, sibling ops) outrank arbitrary swaps in a group.
_CLOSE = {
    frozenset(p)
    for p in [
        ("+", "-"),
        ("*", "/"),
        ("/", "//"),
        ("//", "%"),
        ("*", "**"),
        ("*", "+"),
        ("&", "|"),
        ("|", "^"),
        ("&", "^"),
        ("<<", ">>"),
        ("<", "<="),
        (">", ">="),
        ("<", ">"),
        ("<=", ">="),
        ("==", "!="),
        ("<", ">="),
        (">", "<="),
    ]
}
# How often each kind of operator is the culprit, relative to comparisons.
_GROUP_WEIGHT = {ARITH: 0.95, BITWISE: 0.8, COMPARE: 1.0}
NONCOMMUTATIVE = frozenset({"-", "/", "//", "%", "**", "<<", ">>", "@"})
_ORDERED = frozenset({"<", "<=", ">", ">="})


def _group(op: str) -> tuple[str, ...] | None:
    for g in (ARITH, BITWISE, COMPARE):
        if op in g:
            return g
    return None


def _alternatives(op: str) -> Iterator[tuple[str, float]]:
    group = _group(op)
    if group is None:
        return
    base = _GROUP_WEIGHT[group]
    for alt in group:
        if alt != op:
            yield alt, base * (1.0 if frozenset((op, alt)) in _CLOSE else 0.85)


def comparison_parts(node: Node) -> tuple[list[Node], list[Node]]:
    """Operands and operator tokens of a (possibly chained) comparison."""
    operands = [c for c in node.children if c.is_named and c.type != "comment"]
    ops = [c for c in node.children if not c.is_named]
    return operands, ops


def binop(site: Site) -> Iterator[Mutant]:
    for n in site.targets:
        t = n.type
        if t == "binary_operator":
            tok = n.child_by_field_name("operator")
            if tok is not None:
                for alt, w in _alternatives(tok.type):
                    yield site.replace(tok, alt, "binop", w)
        elif t == "comparison_operator":
            for tok in comparison_parts(n)[1]:
                if tok.type in ("in", "not in"):
                    yield site.replace(tok, "not in" if tok.type == "in" else "in", "binop", 0.9)
                for alt, w in _alternatives(tok.type):
                    yield site.replace(tok, alt, "binop", w)
        elif t == "boolean_operator":
            tok = n.child_by_field_name("operator")
            if tok is not None:
                yield site.replace(tok, "or" if tok.type == "and" else "and", "binop", 0.9)
        elif t == "augmented_assignment":
            tok = n.child_by_field_name("operator")
            if tok is not None and tok.type.endswith("="):
                for alt, w in _alternatives(tok.type[:-1]):
                    yield site.replace(tok, alt + "=", "binop", 0.95 * w)


def conditions(site: Site) -> Iterator[tuple[Node, float]]:
    """Conditions the statement owns, with how likely flipping each one is the fix."""
    stmt = site.stmt
    if stmt.type in ("if_statement", "elif_clause", "while_statement"):
        cond = stmt.child_by_field_name("condition")
        if cond is not None:
            yield cond, 1.0
    elif stmt.type == "assert_statement" and stmt.named_children:
        yield stmt.named_children[0], 0.9
    for n in site.targets:
        if n.type == "conditional_expression":
            kids = n.children
            for i, c in enumerate(kids[:-1]):
                if c.type == "if" and not c.is_named:
                    yield kids[i + 1], 0.85
                    break
        elif n.type == "if_clause" and n.named_children:
            yield n.named_children[0], 0.8


def negate(site: Site) -> Iterator[Mutant]:
    f = site.file
    for cond, w in conditions(site):
        if cond.type in ("true", "false", "integer") and site.stmt.type == "while_statement":
            continue  # `while not True:` is a dead loop, `while not False:` one that never ends
        new = negated(f, cond)
        yield Mutant(
            "negate",
            ((cond.start_byte, cond.end_byte, new),),
            f"negate `{short(f.text(cond), 32)}` in `{site.context}`",
            w,
        )
    for n in site.nodes("not_operator"):
        arg = n.child_by_field_name("argument")
        if arg is not None:
            yield Mutant(
                "negate",
                ((n.start_byte, n.end_byte, f.text(arg)),),
                f"remove `not` from `{short(f.text(n), 32)}` in `{site.context}`",
                0.9,
            )
    yield from _negate_operands(site)


def _negate_operands(site: Site) -> Iterator[Mutant]:
    """`a and not b`: a dropped `not` sits on one operand of an `and`/`or` more often than on the
    whole condition, and a `return a and b` has no condition to flip at all."""
    f = site.file
    for n in site.nodes("boolean_operator"):
        for side in ("left", "right"):
            arg = n.child_by_field_name(side)
            # a nested `and`/`or` has its own operands negated; removing a `not` is done above
            if arg is None or arg.type in ("boolean_operator", "not_operator"):
                continue
            yield Mutant(
                "negate",
                ((arg.start_byte, arg.end_byte, negated(f, arg)),),
                f"negate `{short(f.text(arg), 32)}` in `{short(f.text(n), 40)}`",
                0.85,
            )


def dropcond(site: Site) -> Iterator[Mutant]:
    f = site.file
    for n in site.nodes("boolean_operator"):
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is None or right is None:
            continue
        for keep, drop in ((left, right), (right, left)):
            yield Mutant(
                "dropcond",
                ((n.start_byte, n.end_byte, f.text(keep)),),
                f"drop `{short(f.text(drop), 32)}` from `{short(f.text(n), 40)}`",
            )


def _swap(site: Site, a: Node, b: Node, a_text: str, b_text: str, weight: float) -> Mutant:
    return Mutant(
        "swapargs",
        ((a.start_byte, a.end_byte, b_text), (b.start_byte, b.end_byte, a_text)),
        f"swap `{short(site.file.text(a), 24)}` and `{short(site.file.text(b), 24)}` in `{site.context}`",
        weight,
    )


def swapargs(site: Site) -> Iterator[Mutant]:
    f = site.file
    for n in site.targets:
        if n.type == "argument_list":
            positional: list[Node] = []
            for c in n.named_children:
                if c.type in ("keyword_argument", "dictionary_splat", "list_splat"):
                    break  # only the leading positional run can be reordered freely
                if c.type != "comment":
                    positional.append(c)
            for a, b in zip(positional, positional[1:], strict=False):
                yield _swap(site, a, b, f.text(a), f.text(b), 1.0)
        elif n.type == "binary_operator":
            op = n.child_by_field_name("operator")
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if (
                op is not None
                and op.type in NONCOMMUTATIVE
                and left is not None
                and right is not None
            ):
                yield _swap(site, left, right, atom(f, left), atom(f, right), 0.9)
        elif n.type == "comparison_operator":
            operands, ops = comparison_parts(n)
            if len(ops) == 1 and ops[0].type in _ORDERED and len(operands) == 2:
                a, b = operands
                yield _swap(site, a, b, _cmp_operand(f, a), _cmp_operand(f, b), 0.8)


def _cmp_operand(f: SourceFile, node: Node) -> str:
    # Arithmetic binds tighter than comparison: only lower-precedence operands need parentheses.
    if node.type in ATOMIC or node.type in ("binary_operator", "unary_operator"):
        return f.text(node)
    return f"({f.text(node)})"


def isnone_compare(site: Site) -> Iterator[Mutant]:
    """`is` <-> `==`, `is not` <-> `!=`; `== None` -> `is None` (identity only against singletons)."""
    for n in site.nodes("comparison_operator"):
        operands, ops = comparison_parts(n)
        for i, tok in enumerate(ops):
            pair = operands[i : i + 2]
            singleton = any(o.type in SINGLETONS for o in pair)
            if tok.type == "is":
                yield site.replace(tok, "==", "isnone")
                yield site.replace(tok, "is not", "isnone", 0.8)
            elif tok.type == "is not":
                yield site.replace(tok, "!=", "isnone")
                yield site.replace(tok, "is", "isnone", 0.8)
            elif tok.type == "==" and singleton:
                yield site.replace(tok, "is", "isnone")
            elif tok.type == "!=" and singleton:
                yield site.replace(tok, "is not", "isnone")
