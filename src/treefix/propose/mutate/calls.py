"""Calls: the signatures of the file's own functions (arity checks), a call replaced by a sibling
function or method of the same class (`attr`), and arguments added, dropped or reordered
(`args`, and `swapargs` for non-adjacent pairs)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from treefix.propose.mutate.ingredients import bound_at, callee_name, enclosing_class
from treefix.propose.mutate.site import Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

MAX_SIBLINGS = 4


@dataclass(frozen=True)
class Signature:
    name: str
    params: tuple[str, ...]  # positional parameters, `self`/`cls` of a method excluded
    required: int  # positional parameters without a default
    star: bool  # takes *args: any count above `required`
    cls: int  # start byte of its class (-1: a module function)
    row: int

    def accepts(self, n: int) -> bool:
        return self.required <= n and (self.star or n <= len(self.params))


def signatures(file: SourceFile) -> dict[str, list[Signature]]:
    """Every function and method of the file by name (several when a name is defined twice)."""
    out: dict[str, list[Signature]] = {}
    stack = [(file.tree.root_node, -1)]
    while stack:
        n, cls = stack.pop()
        if n.type == "class_definition":
            cls = n.start_byte
        elif n.type == "function_definition":
            sig = _signature(file, n, cls)
            if sig is not None:
                out.setdefault(sig.name, []).append(sig)
            continue  # nested functions are not callable from elsewhere
        stack.extend((c, cls) for c in n.named_children)
    return out


def _signature(file: SourceFile, func: Node, cls: int) -> Signature | None:
    name, params = func.child_by_field_name("name"), func.child_by_field_name("parameters")
    if name is None or params is None:
        return None
    names: list[str] = []
    required, star = 0, False
    for p in params.named_children:
        t = p.type
        if t in ("list_splat_pattern", "dictionary_splat_pattern", "keyword_separator"):
            star = star or t == "list_splat_pattern"
            if t != "dictionary_splat_pattern":
                break  # keyword-only parameters follow
            continue
        if t in ("identifier", "typed_parameter"):
            ident = p if t == "identifier" else p.named_children[0]
            names.append(file.text(ident))
            required += 1
        elif t in ("default_parameter", "typed_default_parameter"):
            named = p.child_by_field_name("name")
            names.append(file.text(named) if named is not None else "")
    if cls >= 0 and names and names[0] in ("self", "cls"):
        names, required = names[1:], max(0, required - 1)
    return Signature(file.text(name), tuple(names), required, star, cls, func.start_point[0])


def _positional(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "argument_list":
        return []
    return [
        a
        for a in args.named_children
        if a.type not in ("keyword_argument", "comment", "list_splat", "dictionary_splat")
    ]


def _own(site: Site, call: Node) -> Signature | None:
    """The signature a call reaches when it calls the file's own function or `self` method."""
    f = site.file
    fn = call.child_by_field_name("function")
    sigs = f.signatures.get(callee_name(f, call), [])
    if fn is None or len(sigs) != 1:
        return None
    if fn.type == "identifier" and sigs[0].cls < 0:
        return sigs[0]
    obj = fn.child_by_field_name("object") if fn.type == "attribute" else None
    if obj is not None and f.text(obj) == "self" and sigs[0].cls == enclosing_class(site):
        return sigs[0]
    return None


def sibling_calls(site: Site) -> Iterator[Mutant]:
    """`f(a)` -> `g(a)`, another module function; `self.m(a)` -> `self.n(a)`, another method of
    the class; only those that accept the call's number of arguments."""
    f = site.file
    cls = enclosing_class(site)
    for call in site.nodes("call"):
        fn = call.child_by_field_name("function")
        if fn is None or call.child_by_field_name("arguments") is None:
            continue
        n = len(_positional(call))
        node: Node | None
        if fn.type == "identifier":
            if f.text(fn) not in f.signatures:
                continue  # a builtin or an import: min/max and the like are `attr`'s table
            node, want, w = fn, -1, 0.5
        elif fn.type == "attribute" and cls >= 0:
            obj = fn.child_by_field_name("object")
            if obj is None or f.text(obj) != "self":
                continue
            node, want, w = fn.child_by_field_name("attribute"), cls, 0.6
        else:
            continue
        if node is None:
            continue
        name, row = f.text(node), call.start_point[0]
        func_name = site.func.child_by_field_name("name") if site.func is not None else None
        mine = f.text(func_name) if func_name is not None else ""
        others = sorted(
            (abs(s.row - row), s.name)
            for sigs in f.signatures.values()
            for s in sigs
            if s.cls == want
            and s.name not in (name, mine)  # calling itself instead is a new recursion
            and s.accepts(n)
            and not s.name.startswith("__")
        )
        if want < 0:
            others = [o for o in others if bound_at(site, o[1])]
        for rank, (_, other) in enumerate(others[:MAX_SIBLINGS]):
            desc = f"call `{other}` instead of `{name}` in `{site.context}`"
            yield Mutant("attr", ((node.start_byte, node.end_byte, other),), desc, w - 0.05 * rank)


def args(site: Site) -> Iterator[Mutant]:
    for call in site.nodes("call"):
        arglist = call.child_by_field_name("arguments")
        if arglist is None or arglist.type != "argument_list":
            continue
        yield from _drop(site, call, arglist)
        yield from _add(site, call, arglist)
        yield from _reorder(site, call)


def _drop(site: Site, call: Node, arglist: Node) -> Iterator[Mutant]:
    f = site.file
    items = [a for a in arglist.named_children if a.type != "comment"]
    sig = _own(site, call)
    n = len(_positional(call))
    for i, a in enumerate(items):
        positional = a.type not in ("keyword_argument", "dictionary_splat")
        if sig is not None and positional and not sig.accepts(n - 1):
            continue
        w = 0.9 if sig is not None else 0.5
        if i + 1 < len(items):
            edit = (a.start_byte, items[i + 1].start_byte, "")
        elif i > 0:
            edit = (items[i - 1].end_byte, a.end_byte, "")
        else:
            edit = (a.start_byte, a.end_byte, "")
        desc = f"drop argument `{short(f.text(a), 24)}` from `{short(f.text(call), 32)}`"
        yield Mutant("args", (edit,), desc, w)


def _add(site: Site, call: Node, arglist: Node) -> Iterator[Mutant]:
    f = site.file
    items = [a for a in arglist.named_children if a.type != "comment"]
    positional = _positional(call)
    keywords = (k.child_by_field_name("name") for k in items if k.type == "keyword_argument")
    present = {f.text(k) for k in keywords if k is not None}
    close = arglist.end_byte - 1  # the `)`
    sep = ", " if items else ""
    sig = _own(site, call)
    texts: list[tuple[str, float]] = []
    if sig is not None and len(positional) < len(sig.params) and len(positional) == len(items):
        param = sig.params[len(positional)]
        if param and bound_at(site, param):  # the parameter's own name is in scope
            texts.append((param, 1.0))
        for d, w in f.donors.usable(site, ("arg",), set(), 12):
            if d.callee == sig.name and d.pos == len(positional):
                texts.append((d.text, 0.8 * w))
    name = callee_name(f, call)
    for d, w in f.donors.usable(site, ("kwarg",), set(), 12):
        key = d.text.split("=", 1)[0].strip()
        if d.callee == name and key not in present:
            texts.append((d.text, 0.8 * w))
    seen: set[str] = set()
    for text, w in texts[:MAX_SIBLINGS]:
        if text not in seen:
            seen.add(text)
            desc = f"pass `{short(text, 24)}` to `{short(f.text(call), 32)}`"
            yield Mutant("args", ((close, close, sep + text),), desc, w)


def _reorder(site: Site, call: Node) -> Iterator[Mutant]:
    """Non-adjacent swaps (adjacent pairs are `swapargs`' own)."""
    f = site.file
    pos = _positional(call)
    for i in range(len(pos)):
        for j in range(i + 2, len(pos)):
            a, b = pos[i], pos[j]
            yield Mutant(
                "swapargs",
                ((a.start_byte, a.end_byte, f.text(b)), (b.start_byte, b.end_byte, f.text(a))),
                f"swap `{short(f.text(a), 24)}` and `{short(f.text(b), 24)}` in `{site.context}`",
                0.7,
            )
