"""Expression fix patterns (TBar): a type conversion added around an expression or removed
(`convert`), and assignment targets swapped (`swaptargets`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.propose.mutate.exprs import operator_token
from treefix.propose.mutate.names import is_read
from treefix.propose.mutate.site import Mutant, Site, short
from treefix.propose.mutate.statements import sibling

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

MAX_CONVERSIONS = 12
_VALUES = frozenset({"identifier", "attribute", "subscript", "call", "binary_operator"})
# Where a value is used as a number, a string or a count: a conversion there is plausible.
_USES = frozenset(
    {
        "binary_operator",
        "comparison_operator",
        "argument_list",
        "return_statement",
        "assignment",
        "augmented_assignment",
        "subscript",
    }
)
_CONVERTERS = frozenset({"int", "float", "str", "len", "list", "round", "abs", "bool", "sorted"})
_STRINGS = frozenset({"string", "concatenated_string"})
_TARGETS = frozenset({"identifier", "attribute", "subscript"})


def _wrappers(f: SourceFile, node: Node) -> list[tuple[str, float]]:
    parent = node.parent
    assert parent is not None
    op = operator_token(parent) if parent.type == "binary_operator" else ""
    others = [c for c in parent.named_children if c != node]
    beside_str = op == "+" and any(o.type in _STRINGS for o in others)
    counted = parent.type == "argument_list" and _callee(f, parent) == "range"
    index = parent.type == "subscript" and node != parent.child_by_field_name("value")
    out = [("str", 1.0 if beside_str else 0.5)]
    out.append(("int", 1.0 if counted or index or operator_token(node) == "/" else 0.6))
    out.append(("float", 0.5))
    if node.type in ("identifier", "attribute") and not beside_str:
        numeric = any(o.type in ("integer", "binary_operator") for o in others)
        out.append(("len", 0.9 if counted else 0.7 if numeric else 0.3))
    return out


def _callee(f: SourceFile, arglist: Node) -> str:
    call = arglist.parent
    fn = call.child_by_field_name("function") if call is not None else None
    return f.text(fn) if fn is not None else ""


def convert(site: Site) -> Iterator[Mutant]:
    f = site.file
    found: list[Mutant] = []
    for n in site.targets:
        parent = n.parent
        if n.type not in _VALUES or parent is None or parent.type not in _USES:
            continue
        if parent.type in ("assignment", "augmented_assignment") and (
            n != parent.child_by_field_name("right")
        ):
            continue
        if parent.type == "subscript" and n == parent.child_by_field_name("value"):
            continue
        if n.type == "identifier" and not is_read(n):
            continue
        fn = n.child_by_field_name("function") if n.type == "call" else None
        if fn is not None and f.text(fn) in _CONVERTERS:
            args = n.child_by_field_name("arguments")
            kids = list(args.named_children) if args is not None else []
            if len(kids) == 1 and kids[0].type not in ("keyword_argument", "comment"):
                desc = f"drop `{f.text(fn)}()` around `{short(f.text(kids[0]), 24)}`"
                edit = ((n.start_byte, n.end_byte, f.text(kids[0])),)
                found.append(Mutant("convert", edit, desc, 0.7))
            continue
        text = f.text(n)
        for conv, w in _wrappers(f, n):
            desc = f"convert `{short(text, 24)}` with `{conv}()` in `{site.context}`"
            found.append(
                Mutant("convert", ((n.start_byte, n.end_byte, f"{conv}({text})"),), desc, w)
            )
    found.sort(key=lambda m: -m.weight)
    yield from found[:MAX_CONVERSIONS]


def _assignment(stmt: Node | None) -> Node | None:
    """The single plain assignment a statement is, if it is one."""
    if stmt is None or stmt.type != "expression_statement" or len(stmt.named_children) != 1:
        return None
    a = stmt.named_children[0]
    if a.type != "assignment" or a.child_by_field_name("right") is None:
        return None
    left = a.child_by_field_name("left")
    return a if left is not None and left.type in _TARGETS else None


def _twin(stmt: Node) -> Node | None:
    """The statement at the same place in the other branch of an if/else."""
    block = stmt.parent
    if block is None or block.parent is None or block.type != "block":
        return None
    holder = block.parent
    kids = [c for c in block.named_children if c.type != "comment"]
    i = kids.index(stmt) if stmt in kids else -1
    other: Node | None = None
    if holder.type == "if_statement":
        alt = holder.child_by_field_name("alternative")
        other = alt.child_by_field_name("body") if alt is not None else None
        if alt is not None and alt.type == "elif_clause":
            other = alt.child_by_field_name("consequence")
    elif holder.type in ("else_clause", "elif_clause") and holder.parent is not None:
        other = holder.parent.child_by_field_name("consequence")
    twins = [c for c in other.named_children if c.type != "comment"] if other is not None else []
    return twins[i] if 0 <= i < len(twins) else None


def swaptargets(site: Site) -> Iterator[Mutant]:
    """`lo = mid` / `hi = mid` in the wrong branches, two neighbours' targets crossed, or an
    assignment written backwards (`a = b` for `b = a`)."""
    f, stmt = site.file, site.stmt
    mine = _assignment(stmt)
    if mine is None:
        return
    left = mine.child_by_field_name("left")
    right = mine.child_by_field_name("right")
    if left is None or right is None:
        return
    for other, w in ((_twin(stmt), 1.0), (sibling(stmt, -1), 0.8), (sibling(stmt, 1), 0.8)):
        theirs = _assignment(other)
        o_left = theirs.child_by_field_name("left") if theirs is not None else None
        if o_left is None or f.text(o_left) == f.text(left):
            continue
        yield Mutant(
            "swaptargets",
            (
                (left.start_byte, left.end_byte, f.text(o_left)),
                (o_left.start_byte, o_left.end_byte, f.text(left)),
            ),
            f"swap the targets `{short(f.text(left), 20)}` and `{short(f.text(o_left), 20)}`",
            w,
        )
    if right.type in _TARGETS:
        yield Mutant(
            "swaptargets",
            ((mine.start_byte, mine.end_byte, f"{f.text(right)} = {f.text(left)}"),),
            f"reverse `{short(f.text(mine), 40)}`",
            0.6,
        )
