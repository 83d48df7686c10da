"""What a function that falls off its end should return (the `return` family's missing-return
template), best first. The shapes come from the developer fixes that add a final `return`
(bench/real/PATTERNS.md, "jump inserted" 19 bugs): the list or count the function builds
(`return new_lst`), the opposite of the only literal it returns early (`return True` in the loop,
`return False` after it), the helper it defines but never calls (`return helper(index)`), the
length of the sequence it walks (`return len(seq)`: past the end of a search).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.scope import target_names

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

_STARTS = frozenset({"list", "dictionary", "set", "integer", "string", "tuple"})
_UPDATES = frozenset({"append", "extend", "insert", "add", "update", "remove", "pop"})
_NESTED = frozenset({"function_definition", "class_definition", "lambda"})


def _own_nodes(func: Node) -> list[Node]:
    """The function's nodes, nested functions and classes left out."""
    out: list[Node] = []
    body = func.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(c for c in n.children if c.type not in _NESTED)
    return out


def accumulators(f: SourceFile, nodes: list[Node]) -> list[str]:
    """Names set to a literal (`[]`, `0`, `''`) and then updated (`.append`, `+=`), most updated
    first."""
    started: list[str] = []
    updates: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for n in nodes:
        if n.type == "assignment":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if left is not None and right is not None and left.type == "identifier":
                name = f.text(left)
                if right.type in _STARTS and name not in started:
                    started.append(name)
                    kinds[name] = right.type
                elif right.type == "binary_operator" and f.text(right).startswith(name):
                    updates[name] = updates.get(name, 0) + 1  # `x = x + [v]`
        elif n.type == "augmented_assignment":
            for i in target_names(n.child_by_field_name("left")):
                updates[f.text(i)] = updates.get(f.text(i), 0) + 1
        elif n.type == "attribute":
            obj, attr = n.child_by_field_name("object"), n.child_by_field_name("attribute")
            if obj is not None and attr is not None and f.text(attr) in _UPDATES:
                updates[f.text(obj)] = updates.get(f.text(obj), 0) + 1
    built = [s for s in started if updates.get(s)]
    # what is collected before what is counted: a counter often only drives the loop
    return sorted(built, key=lambda s: (kinds[s] in ("integer", "float"), -updates[s]))


def _opposite(f: SourceFile, nodes: list[Node]) -> str | None:
    """`False` when every valued return gives `True` (and the reverse)."""
    values = {
        f.text(n.named_children[0])
        for n in nodes
        if n.type == "return_statement" and n.named_children
    }
    if values == {"True"}:
        return "False"
    if values == {"False"}:
        return "True"
    return None


def _uncalled_helpers(f: SourceFile, func: Node, nodes: list[Node]) -> list[str]:
    """`helper(a, b)` for each function defined inside `func` and never called there, when its
    parameters are names `func` has (its own parameters or locals of the same name)."""
    body = func.child_by_field_name("body")
    if body is None:
        return []
    called = {  # by the function itself: a helper calling itself recursively does not count
        f.text(fn)
        for n in nodes
        if n.type == "call" and (fn := n.child_by_field_name("function")) is not None
    }
    known = {f.text(i) for i in iter_nodes(func.child_by_field_name("parameters") or body)}
    known |= {
        f.text(i)
        for n in nodes
        if n.type == "assignment"
        for i in target_names(n.child_by_field_name("left"))
    }
    out = []
    for d in body.named_children:
        if d.type != "function_definition":
            continue
        name, params = d.child_by_field_name("name"), d.child_by_field_name("parameters")
        if name is None or params is None or f.text(name) in called:
            continue
        args = [f.text(p) for p in params.named_children if p.type == "identifier"]
        if len(args) == len(params.named_children) and all(a in known for a in args):
            out.append(f"{f.text(name)}({', '.join(args)})")
    return out


def _walked(f: SourceFile, func: Node, nodes: list[Node]) -> list[str]:
    """`len(seq)` for each parameter the function loops over (`for x in seq`, `enumerate(seq)`)."""
    params = func.child_by_field_name("parameters")
    names = (
        {f.text(p) for p in params.named_children if p.type == "identifier"} if params else set()
    )
    out: list[str] = []
    for n in nodes:
        if n.type != "for_statement":
            continue
        right = n.child_by_field_name("right")
        if right is not None and right.type == "call":
            args = right.child_by_field_name("arguments")
            kids = args.named_children if args is not None else []
            right = kids[0] if len(kids) == 1 else right
        if right is not None and f.text(right) in names and f.text(right) not in out:
            out.append(f.text(right))
    return [f"len({p})" for p in out]


def final_values(f: SourceFile, func: Node, recent: list[str]) -> list[tuple[str, float]]:
    """(value, weight) for a `return` added at the end of `func`, best first; `recent` are the
    names assigned last (the template's older candidates)."""
    nodes = _own_nodes(func)
    found: list[tuple[str, float]] = [(a, 1.0) for a in accumulators(f, nodes)[:2]]
    opposite = _opposite(f, nodes)
    if opposite is not None:
        found.append((opposite, 1.0))
    found += [(h, 0.95) for h in _uncalled_helpers(f, func, nodes)[:2]]
    found += [(v, 1.0 - 0.15 * rank) for rank, v in enumerate(recent[:2])]
    found += [(v, 0.6) for v in _walked(f, func, nodes)[:1]]
    printed = _printed_last(f, func)
    out: dict[str, float] = {}
    for v, w in found:
        if v != printed:  # `print(x)` then `return x`: replacing the print is `printret`'s job
            out.setdefault(v, w)
    return list(out.items())


def _printed_last(f: SourceFile, func: Node) -> str | None:
    """`x` when the function's last statement is `print(x)`."""
    body = func.child_by_field_name("body")
    kids = [c for c in body.named_children if c.type != "comment"] if body is not None else []
    call = kids[-1].named_children[0] if kids and kids[-1].named_children else None
    if call is None or call.type != "call" or kids[-1].type != "expression_statement":
        return None
    fn, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    values = [a for a in args.named_children if a.type != "comment"] if args is not None else []
    if fn is None or f.text(fn) != "print" or len(values) != 1:
        return None
    return f.text(values[0])
