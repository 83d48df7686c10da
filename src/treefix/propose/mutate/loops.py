"""The loopexit family: a loop that can never get past its first element because an `if` in its
body jumps out on both branches. The `else` branch's `return`/`break` belongs after the loop:

    for i, x in enumerate(seq):          for i, x in enumerate(seq):
        if x >= target:                      if x >= target:
            return i            ->               return i
        else:                            return len(seq)
            return len(seq)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.propose.mutate.site import LOOPS, Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

_EXITS = frozenset({"return_statement", "break_statement"})


def _stmts(block: Node | None) -> list[Node]:
    return [c for c in block.named_children if c.type != "comment"] if block is not None else []


def _owner(stmt: Node) -> Node | None:
    """The `if` statement whose `else` exit is in question: the site itself, or the `if` whose
    `else` body the site (the exit statement, where localisation points) is."""
    if stmt.type == "if_statement":
        return stmt
    block = stmt.parent
    clause = block.parent if block is not None else None
    if stmt.type in _EXITS and clause is not None and clause.type == "else_clause":
        return clause.parent if clause.parent and clause.parent.type == "if_statement" else None
    return None


def loopexit(site: Site) -> Iterator[Mutant]:
    f = site.file
    stmt = _owner(site.stmt)
    if stmt is None:
        return
    body, loop = stmt.parent, stmt.parent.parent if stmt.parent is not None else None
    if body is None or loop is None or loop.type not in LOOPS or body.type != "block":
        return
    clauses = [c for c in stmt.named_children if c.type == "else_clause"]
    if not clauses:
        return
    else_clause = clauses[0]
    inner = _stmts(else_clause.child_by_field_name("body"))
    if len(inner) != 1 or inner[0].type not in _EXITS or not f.ends_line(loop):
        return
    exit_stmt = inner[0]
    indent = f.indent_of(loop)
    if indent is None or f.indent_of(else_clause) is None:
        return
    start = f.line_start(else_clause.start_byte)
    after_else = f.next_line_start(else_clause.end_byte)
    end = f.line_end(loop.end_byte)
    rest = f.source[after_else:end].decode("utf-8", "replace") if after_else < end else ""
    text = f.text(exit_stmt)
    if exit_stmt.type == "break_statement":
        return  # a `break` after the loop is meaningless; only a return moves out
    new = (rest + "\n" if rest else "") + indent + text
    yield Mutant(
        "loopexit",
        ((start, end, new),),
        f"move `{short(text, 32)}` from the `else` inside the loop to after the loop",
        1.0,
        line=else_clause.start_point[0] + 1,
    )
