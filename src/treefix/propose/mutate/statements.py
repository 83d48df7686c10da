"""Statement-level mutations: delete, insert (GenProg copy) and the None-guard templates of isnone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import SIMPLE_STATEMENTS, STATEMENTS
from treefix.propose.mutate.scope import SKIP_NAMES
from treefix.propose.mutate.site import Mutant, Site, SourceFile, short

if TYPE_CHECKING:
    from tree_sitter import Node

# Removing or guarding these breaks the file's structure rather than its behaviour.
STRUCTURAL = frozenset(
    {
        "function_definition",
        "class_definition",
        "decorated_definition",
        "except_clause",
        "finally_clause",
        "case_clause",
        "except_group_clause",
    }
)
_CLAUSES = frozenset({"elif_clause", "else_clause"})
_NO_FALLTHROUGH = frozenset(
    {"return_statement", "raise_statement", "continue_statement", "break_statement"}
)
_NOT_DONORS = frozenset(
    {"pass_statement", "global_statement", "nonlocal_statement", "future_import_statement"}
)
MAX_DONORS = 8


def _statements(block: Node) -> list[Node]:
    return [c for c in block.named_children if c.type != "comment"]


def delete(site: Site) -> Iterator[Mutant]:
    stmt, f = site.stmt, site.file
    parent = stmt.parent
    if stmt.type in STRUCTURAL or parent is None:
        return
    desc = f"delete `{site.context}`"
    if parent.type == "block" and len(_statements(parent)) == 1:
        if stmt.type != "pass_statement":  # a block cannot be empty
            yield Mutant("delete", ((stmt.start_byte, stmt.end_byte, "pass"),), desc)
        return
    if f.indent_of(stmt) is not None and f.ends_line(stmt):
        start, end = f.line_start(stmt.start_byte), f.next_line_start(stmt.end_byte)
        yield Mutant("delete", ((start, end, ""),), desc)
    elif parent.type in ("block", "module"):
        yield Mutant("delete", ((stmt.start_byte, stmt.end_byte, "pass"),), desc)


def reindent(text: str, old: str, new: str) -> str:
    """Move a multi-line statement (first line unindented) from indentation `old` to `new`."""
    lines = text.split("\n")
    rest = [new + ln[len(old) :] if ln.startswith(old) else ln for ln in lines[1:]]
    return "\n".join([lines[0], *rest])


def _donors(site: Site) -> list[Node]:
    """Simple statements of the same function (or module), nearest first, one per distinct text."""
    f, stmt = site.file, site.stmt
    root = site.func.child_by_field_name("body") if site.func is not None else f.tree.root_node
    found: list[tuple[int, int, Node]] = []
    stack = [root] if root is not None else []
    row = stmt.start_point[0]
    while stack:
        n = stack.pop()
        if n.type in ("function_definition", "class_definition", "decorated_definition"):
            continue
        if n.type in SIMPLE_STATEMENTS:
            # `break`/`continue` copied out of a loop would not compile (only the compiler sees it).
            jump = n.type in ("break_statement", "continue_statement") and not site.in_loop
            if n.type not in _NOT_DONORS and not jump and not _is_docstring(n) and n != stmt:
                found.append((abs(n.start_point[0] - row), n.start_point[0], n))
            continue
        stack.extend(c for c in n.named_children if c.type in STATEMENTS or c.type == "block")
    seen = {f.text(stmt)}
    out = []
    for _, _, n in sorted(found, key=lambda x: (x[0], x[1])):
        text = f.text(n)
        if text not in seen:
            seen.add(text)
            out.append(n)
    return out[:MAX_DONORS]


def sibling(stmt: Node, step: int) -> Node | None:
    n = stmt.prev_named_sibling if step < 0 else stmt.next_named_sibling
    while n is not None and n.type == "comment":
        n = n.prev_named_sibling if step < 0 else n.next_named_sibling
    return n


def _text(f: SourceFile, node: Node | None) -> str | None:
    return f.text(node) if node is not None else None


def _is_docstring(n: Node) -> bool:
    kids = n.named_children
    return n.type == "expression_statement" and len(kids) == 1 and kids[0].type == "string"


def insert(site: Site) -> Iterator[Mutant]:
    stmt, f = site.stmt, site.file
    indent = f.indent_of(stmt)
    if stmt.type in STRUCTURAL or stmt.type in _CLAUSES or indent is None:
        return
    first = None
    if stmt.type not in SIMPLE_STATEMENTS:
        body = stmt.child_by_field_name("body")
        kids = _statements(body) if body is not None and body.type == "block" else []
        first = kids[0] if kids and kids[0].type != "case_clause" else None
    before = f.before(stmt)
    # A copy next to its own original is one program reachable from two sites: never offered.
    prev, nxt = _text(f, sibling(stmt, -1)), _text(f, sibling(stmt, 1))
    for rank, donor in enumerate(_donors(site)):
        w = 1.0 - 0.05 * rank
        d_indent = f.indent_of(donor) or ""
        text = f.text(donor)
        what = short(text, 32)
        moved = indent + reindent(text, d_indent, indent)
        if text != prev:
            desc = f"insert `{what}` before `{site.context}`"
            yield Mutant("insert", ((before, before, moved + "\n"),), desc, w)
        if stmt.type in SIMPLE_STATEMENTS:
            if stmt.type not in _NO_FALLTHROUGH and f.ends_line(stmt) and text != nxt:
                desc = f"insert `{what}` after `{site.context}`"
                yield Mutant("insert", (f.after(stmt, moved),), desc, w)
        elif first is not None and text != f.text(first):
            b_indent = f.indent_of(first)
            if b_indent:
                at = f.line_start(first.start_byte)
                new = b_indent + reindent(text, d_indent, b_indent) + "\n"
                desc = f"insert `{what}` at the start of `{site.context}`"
                yield Mutant("insert", ((at, at, new),), desc, w, line=first.start_point[0] + 1)


def _guarded_names(site: Site) -> list[str]:
    """Local names the statement dereferences (`x.a`, `x[i]`, `x()`): candidates for None."""
    f, local = site.file, site.scope.local
    names: list[str] = []
    for n in site.targets:
        field = {"attribute": "object", "subscript": "value", "call": "function"}.get(n.type)
        base = n.child_by_field_name(field) if field else None
        if base is not None and base.type == "identifier":
            name = f.text(base)
            if name in local and name not in SKIP_NAMES and name not in names:
                names.append(name)
    return names[:3]


def none_guards(site: Site) -> Iterator[Mutant]:
    stmt, f = site.stmt, site.file
    indent = f.indent_of(stmt)
    if site.func is None or stmt.type in STRUCTURAL or stmt.type in _CLAUSES or indent is None:
        return
    unit = f.indent_unit
    start = f.line_start(stmt.start_byte)
    body = f.source[start : stmt.end_byte].decode("utf-8", "replace")
    shifted = "\n".join(unit + ln if ln.strip() else ln for ln in body.split("\n"))
    for name in _guarded_names(site):
        guard = f"{indent}if {name} is None:\n{indent}{unit}"
        yield Mutant(
            "isnone",
            ((start, start, guard + "return None\n"),),
            f"return None early when `{name}` is None, before `{site.context}`",
            0.6,
        )
        if site.in_loop:
            yield Mutant(
                "isnone",
                ((start, start, guard + "continue\n"),),
                f"skip the iteration when `{name}` is None, before `{site.context}`",
                0.5,
            )
        yield Mutant(
            "isnone",
            ((start, stmt.end_byte, f"{indent}if {name} is not None:\n{shifted}"),),
            f"run `{site.context}` only when `{name}` is not None",
            0.55,
        )
