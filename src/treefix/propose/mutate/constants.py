"""Constant and boundary mutations: const (literals) and offbyone (range, slices, indices)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.propose.mutate.exprs import shifted
from treefix.propose.mutate.site import Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

_NOT_AN_INDEX = frozenset({"string", "concatenated_string", "true", "false", "none", "slice"})


def dead_loop(site: Site, node: Node) -> bool:
    """The node is the whole condition of a `while` loop: making it falsy kills the loop, which
    is never the fix (it only makes the tests that hang or fail inside the loop stop doing so)."""
    return (
        site.stmt.type == "while_statement" and site.stmt.child_by_field_name("condition") == node
    )


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
                w = 0.1 if value == 1 and dead_loop(site, n) else 1.0
                yield site.replace(n, str(value - 1), "const", w)
        elif n.type == "true":
            yield site.replace(n, "False", "const", 0.1 if dead_loop(site, n) else 1.0)
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
            if fn is not None and fn.type == "identifier" and f.text(fn) == "range":
                for a in _positional(n)[:2]:
                    yield from _bump(site, a)
            elif fn is not None:
                yield from _call_args(site, n, fn)
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
                if operands[0].type in _INTEGERISH:
                    yield from _bump(site, operands[0], 0.6)
        elif n.type == "return_statement" and n.named_children:
            value = n.named_children[0]
            if value.type in _INTEGERISH and not _is_bool_call(site, value) and not _text(value):
                yield from _bump(site, value, 0.6)


# Library calls with integer parameters (`pop(i)`, `round(x, n)`, `s.split(sep, n)`).
_INT_PARAMS = frozenset(
    {
        "pop",
        "insert",
        "round",
        "ljust",
        "rjust",
        "center",
        "zfill",
        "split",
        "rsplit",
        "islice",
        "randint",
        "randrange",
        "nlargest",
        "nsmallest",
        "most_common",
        "to_bytes",
    }  # fmt: skip
)
# Expressions that may well be integers: +1/-1 on them is worth a try (TBar's mutate-integer).
_INTEGERISH = frozenset({"identifier", "integer", "binary_operator", "call", "subscript"})


def _text(node: Node) -> bool:
    """A string expression (`"item " + n`): +1 would only raise TypeError."""
    return node.type == "binary_operator" and any(
        c.type in ("string", "concatenated_string") for c in node.named_children
    )


def _is_bool_call(site: Site, node: Node) -> bool:
    fn = node.child_by_field_name("function") if node.type == "call" else None
    return fn is not None and site.file.text(fn) in ("bool", "str", "isinstance", "all", "any")


def _call_args(site: Site, call: Node, fn: Node) -> Iterator[Mutant]:
    """+1/-1 on a call's numeric-looking arguments; a recursive call's most of all (the missing
    `+ 1` of `walk(i + 1)`)."""
    f = site.file
    name = (
        f.text(fn.child_by_field_name("attribute") or fn) if fn.type == "attribute" else f.text(fn)
    )
    func = site.func
    own = func.child_by_field_name("name") if func is not None else None
    recursive = own is not None and f.text(own) == name
    if not recursive and name not in f.signatures and name not in _INT_PARAMS:
        return  # a library call taking collections or strings: `sum(xs) + 1` is noise
    for a in _positional(call)[:4]:
        if a.type in _INTEGERISH and not _is_bool_call(site, a):
            if a.type == "identifier" and not recursive and f.text(a) in site.scope.module:
                continue  # a module constant passed along: rarely the off-by-one
            yield from _bump(site, a, 0.9 if recursive else 0.45)


def _add_bound(site: Site, subscript: Node, at: int, bound: str) -> Mutant:
    return Mutant(
        "offbyone",
        ((at, at, bound),),
        f"add bound `{bound}` to `{short(site.file.text(subscript), 32)}` in `{site.context}`",
        0.85,
    )
