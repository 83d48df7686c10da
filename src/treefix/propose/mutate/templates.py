"""New-expression templates: code that occurs nowhere in the program, built from the names in
scope and the literals at the site (bench/real/PATTERNS.md, "expression replaced (new code)", the
largest family no donor reaches).

- keycmp: records compared whole where one field was meant, or the reverse: `a > b` <->
  `a[1] > b[1]`; the field is an index the function already subscripts with.
- litname: a number written where a parameter was meant: `xs[:3]` -> `xs[:k]`, `range(5)` ->
  `range(n)`; a parameter the body never reads first.
- empty: an emptiness test tied to one container type: `seq == ()` -> `not seq`,
  `len(seq) == 0`, `seq == []`, `seq == () or seq == []`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.exprs import atom
from treefix.propose.mutate.operators import comparison_parts
from treefix.propose.mutate.site import Mutant, Site
from treefix.propose.mutate.undefined import unused_parameters

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

_ORDER = frozenset({"<", "<=", ">", ">=", "==", "!="})
_RECORDS = frozenset({"identifier", "subscript", "attribute"})
_KEYS = frozenset({"integer", "string"})
MAX_KEYS = 2
# Where a literal stands for a count or a bound (not a field index, not a flag).
_BOUND_PARENTS = frozenset({"slice", "comparison_operator", "argument_list", "binary_operator"})
_EMPTY = {"tuple": "()", "list": "[]", "dictionary": "{}"}
# Parents where the replacement of a comparison needs parentheses to keep its meaning.
_TIGHT_PARENTS = frozenset(
    {
        "comparison_operator",
        "binary_operator",
        "unary_operator",
        "attribute",
        "subscript",
        "call",
        "not_operator",
        "boolean_operator",
    }
)


def _key(f: SourceFile, node: Node) -> tuple[str, str] | None:
    """(value text, key text) of `value[key]` with one literal key, else None."""
    if node.type != "subscript":
        return None
    value, subs = node.child_by_field_name("value"), node.children_by_field_name("subscript")
    if value is None or len(subs) != 1 or subs[0].type not in _KEYS:
        return None
    return f.text(value), f.text(subs[0])


def field_keys(site: Site) -> list[tuple[str, float]]:
    """Literal keys the site's function (or module) subscripts with, most used first, then the
    first two fields of a pair (weaker): a program comparing whole records may index none."""
    f = site.file
    root = site.func if site.func is not None else f.tree.root_node
    counts: Counter[str] = Counter()
    for n in iter_nodes(root):
        k = _key(f, n)
        if k is not None:
            counts[k[1]] += 1
    keys = [(k, 1.0 - 0.15 * rank) for rank, (k, _) in enumerate(counts.most_common(MAX_KEYS))]
    return keys + [(k, 0.6) for k in ("1", "0") if k not in counts]


def keycmp(site: Site) -> Iterator[Mutant]:
    f = site.file
    keys = field_keys(site)
    for n in site.nodes("comparison_operator"):
        operands, ops = comparison_parts(n)
        if len(ops) != 1 or ops[0].type not in _ORDER or len(operands) != 2:
            continue
        a, b = operands
        op = ops[0].type
        ka, kb = _key(f, a), _key(f, b)
        if ka is not None and kb is not None:
            if ka[1] == kb[1]:  # `a[1] > b[1]` -> `a > b`: the whole records compared
                yield site.replace(n, f"{ka[0]} {op} {kb[0]}", "keycmp", 1.0)
            continue
        if ka is not None and b.type in _RECORDS:  # `a[1] > b` -> `a[1] > b[1]` or `a > b`
            yield site.replace(b, f"{atom(f, b)}[{ka[1]}]", "keycmp", 0.9)
            yield site.replace(n, f"{ka[0]} {op} {f.text(b)}", "keycmp", 0.7)
            continue
        if kb is not None and a.type in _RECORDS:
            yield site.replace(a, f"{atom(f, a)}[{kb[1]}]", "keycmp", 0.9)
            yield site.replace(n, f"{f.text(a)} {op} {kb[0]}", "keycmp", 0.7)
            continue
        if a.type in _RECORDS and b.type in _RECORDS:  # `a > b` -> `a[1] > b[1]`
            for k, w in keys:
                new = f"{atom(f, a)}[{k}] {op} {atom(f, b)}[{k}]"
                yield site.replace(n, new, "keycmp", w)


def litname(site: Site) -> Iterator[Mutant]:
    f = site.file
    if site.func is None:
        return
    unused = [f.text(p) for p in unused_parameters(site)]
    params = [p for p in _parameters(site) if p not in unused]
    for n in site.nodes("integer"):
        parent = n.parent
        if parent is None or parent.type not in _BOUND_PARENTS:
            continue
        text = f.text(n)
        if text in ("0", "1"):  # a start, a step, a count of one: rarely a stand-in
            continue
        names = [(p, 1.0) for p in unused] + [(p, 0.5) for p in params]
        start = _zero_start(f, parent, n)
        for name, w in names:
            if start is not None:  # `xs[0:3]` -> `xs[:k]`, the form most people write
                edit = (start.start_byte, n.end_byte, f":{name}")
                desc = f"slice `[:{name}]` for `[{f.text(parent)}]` in `{site.context}`"
                yield Mutant("litname", (edit,), desc, w)
            yield site.replace(n, name, "litname", w * (0.9 if start is not None else 1.0))


def _zero_start(f: SourceFile, sl: Node, stop: Node) -> Node | None:
    """The `0` of `0:stop` when `stop` is the slice's stop, else None."""
    if sl.type != "slice":
        return None
    kids = [c for c in sl.children if c.type != "comment"]
    if len(kids) == 3 and kids[0].type == "integer" and f.text(kids[0]) == "0" and kids[2] == stop:
        return kids[0]
    return None


def _parameters(site: Site) -> list[str]:
    """Plain parameters of the site's function (`self`/`cls` and defaults-free only)."""
    f, func = site.file, site.func
    params = func.child_by_field_name("parameters") if func is not None else None
    if params is None:
        return []
    return [
        f.text(p)
        for p in params.named_children
        if p.type == "identifier" and f.text(p) not in ("self", "cls")
    ]


def _empty(f: SourceFile, node: Node) -> str | None:
    """The literal's text when the node is an empty tuple, list, dict or string."""
    if node.type in _EMPTY and not node.named_children:
        return _EMPTY[node.type]
    if node.type == "string" and f.text(node) in ('""', "''"):
        return f.text(node)
    return None


def empty(site: Site) -> Iterator[Mutant]:
    f = site.file
    for n in site.nodes("comparison_operator"):
        operands, ops = comparison_parts(n)
        if len(ops) != 1 or ops[0].type not in ("==", "!=") or len(operands) != 2:
            continue
        subject, lit = operands
        kind = _empty(f, lit)
        if kind is None or _empty(f, subject) is not None or subject.type in _EMPTY:
            continue
        x = f.text(subject)
        eq = ops[0].type == "=="
        others = [e for e in ("[]", "()") if e != kind] if kind in ("[]", "()") else []
        variants = [
            (f"not {atom(f, subject)}" if eq else x, 1.0),
            (f"len({x}) == 0" if eq else f"len({x}) > 0", 0.9),
        ]
        variants += [(f"{x} {ops[0].type} {e}", 0.8) for e in others]
        joiner = " or " if eq else " and "
        variants += [(joiner.join([f.text(n), f"{x} {ops[0].type} {e}"]), 0.7) for e in others]
        tight = n.parent is not None and n.parent.type in _TIGHT_PARENTS
        for text, w in variants:
            yield site.replace(n, f"({text})" if tight else text, "empty", w)


def _single_call(f: SourceFile, node: Node) -> tuple[str, Node] | None:
    """(function name, its one argument) of `name(arg)`."""
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if node.type != "call" or fn is None or args is None or fn.type != "identifier":
        return None
    kids = [c for c in args.named_children if c.type != "comment"]
    if len(kids) != 1 or kids[0].type in ("keyword_argument", "list_splat", "dictionary_splat"):
        return None
    return f.text(fn), kids[0]


def nestswap(site: Site) -> Iterator[Mutant]:
    """`len(range(seq))` -> `range(len(seq))`: two nested one-argument calls in the wrong order."""
    f = site.file
    for n in site.nodes("call"):
        outer = _single_call(f, n)
        inner = _single_call(f, outer[1]) if outer is not None else None
        if outer is None or inner is None or outer[0] == inner[0]:
            continue
        new = f"{inner[0]}({outer[0]}({f.text(inner[1])}))"
        yield site.replace(n, new, "nestswap", 1.0)


def _pops(f: SourceFile, root: Node) -> list[Node]:
    """The argument lists of `x.pop()` and `x.pop(0)` calls under `root`."""
    out = []
    for n in iter_nodes(root):
        fn, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
        if n.type != "call" or fn is None or args is None or fn.type != "attribute":
            continue
        name = fn.child_by_field_name("attribute")
        if name is not None and f.text(name) == "pop" and f.text(args) in ("()", "(0)"):
            out.append(args)
    return out


def popend(site: Site) -> Iterator[Mutant]:
    """`queue.pop()` <-> `queue.pop(0)`: taken from the wrong end (a stack for a queue), at the
    site and, when the function pops the same way elsewhere, at every such place at once."""
    f = site.file
    mine = [a for h in site.header for a in _pops(f, h)]
    root = site.func if site.func is not None else f.tree.root_node
    for args in mine:
        other = "(0)" if f.text(args) == "()" else "()"
        yield site.replace(args, other, "popend", 1.0)
        same = [a for a in _pops(f, root) if f.text(a) == f.text(args)]
        if len(same) > 1:
            edits = tuple((a.start_byte, a.end_byte, other) for a in same)
            desc = f"pop with `{other}` at all {len(same)} places"
            yield Mutant("popend", edits, desc, 0.9)
