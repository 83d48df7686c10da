"""Constant and boundary mutations: const (literals) and offbyone (range, slices, indices)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.propose.mutate.exprs import shifted
from treefix.propose.mutate.site import Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

_NOT_AN_INDEX = frozenset({"string", "concatenated_string", "true", "false", "none", "slice"})


def const(site: Site) -> Iterator[Mutant]:
    f = site.file
    for n in site.targets:
        if n.type == "integer":
            text = f.text(n)
            try:
                value = int(text.replace("_", ""), 0)
            except ValueError:
                continue
            yield site.replace(n, str(value + 1), "const")
            if value > 0:
                yield site.replace(n, str(value - 1), "const")
        elif n.type == "true":
            yield site.replace(n, "False", "const")
        elif n.type == "false":
            yield site.replace(n, "True", "const")


def _bump(site: Site, node: Node, weight: float = 1.0) -> Iterator[Mutant]:
    for delta in (1, -1):
        new = shifted(site.file, node, delta)
        if new is not None:
            yield site.replace(node, new, "offbyone", weight)


def _positional(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    out: list[Node] = []
    if args is None or args.type != "argument_list":
        return out
    for c in args.named_children:
        if c.type in ("keyword_argument", "list_splat", "dictionary_splat"):
            break
        if c.type != "comment":
            out.append(c)
    return out


def _slice_parts(sl: Node) -> tuple[Node | None, Node | None, Node | None]:
    """(start, stop, first colon) of `a:b:c`; missing bounds are None."""
    parts: list[Node | None] = [None, None, None]
    colon: Node | None = None
    i = 0
    for c in sl.children:
        if not c.is_named and c.type == ":":
            colon = colon or c
            i += 1
        elif c.is_named and c.type != "comment" and i < 3:
            parts[i] = c
    return parts[0], parts[1], colon


def offbyone(site: Site) -> Iterator[Mutant]:
    f = site.file
    for n in site.targets:
        if n.type == "call":
            fn = n.child_by_field_name("function")
            if fn is None or fn.type != "identifier" or f.text(fn) != "range":
                continue
            args = _positional(n)
            for a in args[:2]:
                yield from _bump(site, a)
        elif n.type == "subscript":
            subs = n.children_by_field_name("subscript")
            if len(subs) != 1:
                continue
            sub = subs[0]
            if sub.type == "slice":
                start, stop, colon = _slice_parts(sub)
                if start is not None:
                    yield from _bump(site, start)
                else:
                    yield _add_bound(site, n, sub.start_byte, "1")
                if stop is not None:
                    yield from _bump(site, stop)
                elif colon is not None:
                    yield _add_bound(site, n, colon.end_byte, "-1")
            elif sub.type not in _NOT_AN_INDEX:
                yield from _bump(site, sub, 0.8)  # often a dict key: weaker than a bound
        elif n.type == "comparison_operator":
            ops = [c for c in n.children if not c.is_named]
            operands = [c for c in n.named_children if c.type != "comment"]
            if len(ops) == 1 and ops[0].type in ("<", "<=", ">", ">=") and len(operands) == 2:
                yield from _bump(site, operands[1], 0.8)


def _add_bound(site: Site, subscript: Node, at: int, bound: str) -> Mutant:
    return Mutant(
        "offbyone",
        ((at, at, bound),),
        f"add bound `{bound}` to `{short(site.file.text(subscript), 32)}` in `{site.context}`",
        0.85,
    )
