"""The move family: a statement in the wrong place - one up or down within its block, into the
adjacent block (the end of the compound statement above, the start of the one below), or out of
its block (before or after the compound statement holding it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.propose.mutate.placement import (
    STRONG,
    before_guard,
    destroys_read,
    finish_out,
    reset_into,
    reset_out,
)
from treefix.propose.mutate.site import Mutant, Site, SourceFile, short
from treefix.propose.mutate.statements import STRUCTURAL, reindent, sibling

if TYPE_CHECKING:
    from tree_sitter import Node

Edits = tuple[tuple[int, int, str], ...]
_HOLDERS = frozenset(
    {"for_statement", "while_statement", "if_statement", "with_statement", "try_statement"}
)
_LOOPS = frozenset({"for_statement", "while_statement"})
_LOOPS_AND_DEFS = _LOOPS | {"function_definition", "class_definition", "lambda"}
_CLAUSE_HOLDERS = frozenset({"elif_clause", "else_clause", "except_clause", "finally_clause"})


def _span(f: SourceFile, stmt: Node) -> tuple[int, int] | None:
    """The statement's whole lines; None when it shares a line or ends the file unterminated."""
    if f.indent_of(stmt) is None or not f.ends_line(stmt):
        return None
    end = f.next_line_start(stmt.end_byte)
    if not f.source[:end].endswith(b"\n"):
        return None
    return f.line_start(stmt.start_byte), end


def _relocate(f: SourceFile, span: tuple[int, int], at: int, indent: str) -> Edits:
    """Delete the lines in `span` and put them at offset `at` with indentation `indent`."""
    start, end = span
    text = f.source[start:end].decode("utf-8", "replace")
    old = text[: len(text) - len(text.lstrip())]
    new = indent + reindent(text.lstrip(), old, indent)
    if at in (start, end):  # lands where it is: one edit (a re-indentation)
        return ((start, end, new),)
    return ((start, end, ""), (at, at, new))


def _movable(n: Node | None) -> bool:
    return n is not None and n.type not in STRUCTURAL and n.type not in _CLAUSE_HOLDERS


def _last_block(stmt: Node) -> Node | None:
    """The block a statement placed right after `stmt` (indented deeper) would join."""
    last = None
    for c in stmt.children:
        if c.type == "block":
            last = c
        elif c.type in _CLAUSE_HOLDERS:
            last = _last_block(c) or last
    return last


def _first_stmt(block: Node | None) -> Node | None:
    if block is None:
        return None
    kids = [c for c in block.named_children if c.type != "comment"]
    return kids[0] if kids else None


def move(site: Site) -> Iterator[Mutant]:
    stmt, f = site.stmt, site.file
    if not _movable(stmt) or stmt.parent is None or stmt.parent.type not in ("block", "module"):
        return
    span = _span(f, stmt)
    indent = f.indent_of(stmt)
    if span is None or indent is None:
        return
    what = short(site.context, 32)
    prev, nxt = sibling(stmt, -1), sibling(stmt, 1)
    if prev is not None and _movable(prev) and _span(f, prev) is not None:
        at = f.line_start(prev.start_byte)
        yield _mutant(_relocate(f, span, at, indent), f"move `{what}` up", 1.0)
    if nxt is not None and _movable(nxt) and _span(f, nxt) is not None:
        at = f.next_line_start(nxt.end_byte)
        w = max(destroys_read(f, stmt, nxt), before_guard(f, stmt, nxt))
        yield _mutant(_relocate(f, span, at, indent), f"move `{what}` down", w)
    yield from _into(site, span, prev, nxt, what)
    yield from _into_later(site, span, what)
    yield from _out(site, span, what)


def _into_later(site: Site, span: tuple[int, int], what: str) -> Iterator[Mutant]:
    """A flag set once before a loop that sets it again, moved to the start of that loop's
    body (adjacent loops are `_into`'s; this reaches past the statements in between)."""
    f, stmt = site.file, site.stmt
    later = []
    n = sibling(stmt, 1)
    while n is not None:
        later.append(n)
        n = sibling(n, 1)
    loop = reset_into(f, stmt, later)
    if loop is None or loop == later[0]:
        return
    first = _first_stmt(loop.child_by_field_name("body"))
    inner = f.indent_of(first) if first is not None else None
    if first is None or not inner:
        return
    at = f.line_start(first.start_byte)
    head = short(f.text(loop).split("\n", 1)[0], 24)
    edits = _relocate(f, span, at, inner)
    yield _mutant(edits, f"reset `{what}` at the start of each `{head}`", 0.9 * STRONG)


def _into(
    site: Site, span: tuple[int, int], prev: Node | None, nxt: Node | None, what: str
) -> Iterator[Mutant]:
    f = site.file
    if prev is not None and prev.type in _HOLDERS:
        last = _first_stmt(_last_block(prev))
        inner = f.indent_of(last) if last is not None else None
        if inner:
            at = f.next_line_start(prev.end_byte)
            head = short(f.text(prev).split("\n", 1)[0], 24)
            edits = _relocate(f, span, at, inner)
            yield _mutant(edits, f"move `{what}` into the end of `{head}`", 0.9)
    if nxt is not None and nxt.type in _HOLDERS:
        first = _first_stmt(nxt.child_by_field_name("body") or _last_block(nxt))
        inner = f.indent_of(first) if first is not None else None
        if inner and first is not None:
            at = f.line_start(first.start_byte)
            head = short(f.text(nxt).split("\n", 1)[0], 24)
            edits = _relocate(f, span, at, inner)
            yield _mutant(edits, f"move `{what}` into the start of `{head}`", 0.9)


def _out(site: Site, span: tuple[int, int], what: str) -> Iterator[Mutant]:
    f, stmt = site.file, site.stmt
    block = stmt.parent
    holder = block.parent if block is not None else None
    if holder is not None and holder.type in _CLAUSE_HOLDERS:
        holder = holder.parent
    if block is None or holder is None or holder.type not in _HOLDERS:
        return
    kids = [c for c in block.named_children if c.type != "comment"]
    outer = f.indent_of(holder)
    if len(kids) < 2 or outer is None:
        return  # moving the only statement out would leave an empty block
    if holder.type in _LOOPS and not _in_loop(holder) and _loose_jump(stmt):
        return  # its `break`/`continue` would land outside any loop
    head = short(f.text(holder).split("\n", 1)[0], 24)
    if stmt == kids[-1]:
        at = f.next_line_start(holder.end_byte)
        if f.source[:at].endswith(b"\n"):
            edits = _relocate(f, span, at, outer)
            w = 0.9 * finish_out(f, stmt, holder)
            yield _mutant(edits, f"move `{what}` out of and after `{head}`", w)
    if stmt == kids[0]:
        at = f.line_start(holder.start_byte)
        edits = _relocate(f, span, at, outer)
        w = 0.9 * reset_out(f, stmt, holder)
        yield _mutant(edits, f"move `{what}` out of and before `{head}`", w)


def _loose_jump(node: Node) -> bool:
    """A `break`/`continue` in the node that belongs to a loop outside it."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("break_statement", "continue_statement"):
            return True
        if n is node or n.type not in _LOOPS_AND_DEFS:
            stack.extend(n.named_children)
    return False


def _in_loop(node: Node) -> bool:
    child, n = node, node.parent
    while n is not None and n.type not in ("function_definition", "class_definition"):
        if n.type in _LOOPS and child == n.child_by_field_name("body"):
            return True
        child, n = n, n.parent
    return False


def _mutant(edits: Edits, desc: str, weight: float) -> Mutant:
    return Mutant("move", edits, desc, weight)
