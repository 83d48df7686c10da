"""Statements a program is missing around its accumulators (bench/real/PATTERNS.md, "statement
inserted (new code)"): the initial value of a name the function updates but never sets (`init`),
and the finishing reorder of a list it returns (`order`).

    def search(x, seq):                 def search(x, seq):
        for e in seq:                       position = 0
            ...                  ->         for e in seq:
            position += 1                       ...
        return position                         position += 1
                                            return position
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.names import is_read
from treefix.propose.mutate.scope import SKIP_NAMES
from treefix.propose.mutate.site import Mutant, Site

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

_LIST_METHODS = frozenset({"append", "extend", "insert", "pop", "remove", "reverse", "sort"})
_SET_METHODS = frozenset({"add", "discard"})
_BUILTINS = frozenset(dir(builtins))
_LOOPS = frozenset({"for_statement", "while_statement"})


def _plain_bindings(f: SourceFile, root: Node, name: str) -> list[int]:
    """Rows where `name` is bound other than by an augmented assignment (which reads it first)."""
    rows = []
    for n in iter_nodes(root):
        if n.type == "identifier" and f.text(n) == name and not is_read(n):
            p = n.parent
            if p is not None and p.type == "for_in_clause":
                rows.append(-1)  # a comprehension's own variable: bound where it is read
            elif p is not None and p.type != "augmented_assignment":
                rows.append(n.start_point[0])
    return rows


def _initial_values(f: SourceFile, root: Node, name: str) -> list[str]:
    """What the name starts as, read from how the function uses it: a list for `x.append(...)`
    and `x += [...]`, a set for `x.add(...)`, a dict for `x[k] = v`, a string for `x += '...'`,
    a count for `x += 1`; `0` then `[]` when nothing tells."""
    out: list[str] = []
    for n in iter_nodes(root):
        if n.type == "attribute":
            obj, attr = n.child_by_field_name("object"), n.child_by_field_name("attribute")
            if obj is not None and attr is not None and f.text(obj) == name:
                method = f.text(attr)
                out.append(
                    "[]" if method in _LIST_METHODS else "set()" if method in _SET_METHODS else ""
                )
        elif n.type == "augmented_assignment":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if left is not None and right is not None and f.text(left) == name:
                out.append(
                    "[]"
                    if right.type in ("list", "list_comprehension")
                    else "''"
                    if right.type == "string"
                    else "0"
                )
        elif n.type == "assignment":
            left = n.child_by_field_name("left")
            if left is not None and left.type == "subscript":
                value = left.child_by_field_name("value")
                if value is not None and f.text(value) == name:
                    out.append("{}")
        elif n.type == "boolean_operator" and any(
            c.type == "identifier" and f.text(c) == name for c in n.named_children
        ):
            out.append("False")  # `found = found or ...`
    found = [v for v in dict.fromkeys(out) if v]
    return found + [v for v in ("0", "[]") if v not in found][: max(0, 2 - len(found))]


def init(site: Site) -> Iterator[Mutant]:
    """`count += 1` / `result.append(x)` where the function never sets `count`/`result` before:
    insert its initial value at the start of the function (or right before the loop holding the
    site)."""
    f, func = site.file, site.func
    if func is None:
        return
    body = func.child_by_field_name("body")
    kids = [c for c in body.named_children if c.type != "comment"] if body is not None else []
    if body is None or not kids:
        return
    first = kids[1] if _docstring(kids[0]) and len(kids) > 1 else kids[0]
    indent = f.indent_of(first)
    if indent is None:
        return
    params = _params(site)
    row = site.stmt.start_point[0]
    seen: set[str] = set()
    for n in site.targets:
        if n.type != "identifier" or not (is_read(n) or _updated(n)):
            continue
        name = f.text(n)
        if name in seen or name in SKIP_NAMES or name in params:
            continue
        seen.add(name)
        if name in f.module_names or (name in _BUILTINS and not _used_as_list(f, n)):
            continue
        if any(r < row for r in _plain_bindings(f, body, name)):
            continue  # set before the site: not missing
        if not _accumulates(f, func, name):
            continue  # only read: a misspelt name (`undefined`), not a missing start value
        places = [(f.before(first), indent, 1.0)]
        loop = _outer_loop(site)
        if loop is not None and loop != first and f.indent_of(loop) is not None:
            places.append((f.before(loop), f.indent_of(loop) or "", 0.8))
        for rank, value in enumerate(_initial_values(f, func, name)):
            for at, ind, w in places:
                text = f"{ind}{name} = {value}\n"
                desc = f"set `{name} = {value}` before its first use"
                yield Mutant("init", ((at, at, text),), desc, w * (1.0 - 0.15 * rank))


def _accumulates(f: SourceFile, func: Node, name: str) -> bool:
    """The function updates `name` from its own value: `x += v`, `x.append(v)`, `x = x or v`."""
    for n in iter_nodes(func):
        if n.type == "identifier" and f.text(n) == name:
            p = n.parent
            if _updated(n) or (
                p is not None
                and p.type == "attribute"
                and p.child_by_field_name("object") == n
                and f.text(p.child_by_field_name("attribute") or n) in _LIST_METHODS | _SET_METHODS
            ):
                return True
        elif n.type == "assignment":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if (
                left is not None
                and right is not None
                and f.text(left) == name
                and right.type in ("boolean_operator", "binary_operator")
                and any(c.type == "identifier" and f.text(c) == name for c in right.named_children)
            ):
                return True
    return False


def _updated(n: Node) -> bool:
    """The target of `n += ...`, which reads it first."""
    p = n.parent
    return p is not None and p.type == "augmented_assignment" and p.child_by_field_name("left") == n


def _used_as_list(f: SourceFile, n: Node) -> bool:
    """`sorted.append(x)`: a builtin's name used as a list somebody forgot to create."""
    p = n.parent
    if p is None or p.type != "attribute" or p.child_by_field_name("object") != n:
        return False
    attr = p.child_by_field_name("attribute")
    return attr is not None and f.text(attr) in _LIST_METHODS


def _params(site: Site) -> set[str]:
    func = site.func
    params = func.child_by_field_name("parameters") if func is not None else None
    out: set[str] = set()
    for p in params.named_children if params is not None else ():
        out.update(site.file.text(i) for i in iter_nodes(p) if i.type == "identifier")
    return out


def _docstring(n: Node) -> bool:
    kids = n.named_children
    return n.type == "expression_statement" and len(kids) == 1 and kids[0].type == "string"


def _outer_loop(site: Site) -> Node | None:
    """The outermost loop of the site's function that holds the site."""
    found, n = None, site.stmt.parent
    while n is not None and n != site.func:
        if n.type in _LOOPS:
            found = n
        n = n.parent
    return found


def order(site: Site) -> Iterator[Mutant]:
    """`return result` of a list built in the wrong order: reverse or sort it first (in place, as
    the statement before the return, or as the returned value)."""
    f, stmt = site.file, site.stmt
    if site.func is None or stmt.type != "return_statement" or not stmt.named_children:
        return
    value = stmt.named_children[0]
    indent = f.indent_of(stmt)
    if value.type != "identifier" or indent is None or not _is_list(site, f.text(value)):
        return
    x = f.text(value)
    at = f.line_start(stmt.start_byte)
    for call, w in ((f"{x}.reverse()", 1.0), (f"{x}.sort()", 0.8)):
        yield Mutant("order", ((at, at, f"{indent}{call}\n"),), f"`{call}` before returning it", w)
    for new, w in ((f"{x}[::-1]", 0.7), (f"sorted({x})", 0.6)):
        yield site.replace(value, new, "order", w)


def _is_list(site: Site, name: str) -> bool:
    """The function builds `name` as a list (`[]`/`list(...)`, or calls list methods on it)."""
    f, func = site.file, site.func
    if func is None:
        return False
    for n in iter_nodes(func):
        if n.type == "assignment":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if (
                left is not None
                and right is not None
                and f.text(left) == name
                and (
                    right.type in ("list", "list_comprehension")
                    or f.text(right).startswith("list(")
                )
            ):
                return True
        elif n.type == "attribute":
            obj, attr = n.child_by_field_name("object"), n.child_by_field_name("attribute")
            if (
                obj is not None
                and attr is not None
                and f.text(obj) == name
                and f.text(attr) in _LIST_METHODS
            ):
                return True
    return False
