"""Check mutants on a small slice of the file instead of the whole of it.

Parsing and normalising (`ast.unparse`) the whole file for every mutant is what makes a
proposer slow. The rest of the file is unchanged and already compiled, so it is enough to
parse the slice holding the edits - the statement's header, the statement, its function - with
just enough context around it to stand alone (`if 1:` for indented code, `if 0: pass` before
an `elif`, `pass` for the body of a header). Two mutants of one slice are the same program
exactly when their slices normalise the same.

What only the compiler (not the parser) rejects - `break` outside a loop, a name used before
its `global` declaration - the operators avoid by construction; functions with
`global`/`nonlocal` get a real compile check of the whole file.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from treefix.types import Edit, apply_edits

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import Site, SourceFile

RawEdits = Iterable[tuple[int, int, str]]

# A clause cannot stand alone: the statement it continues, reduced to nothing.
_CLAUSE_CONTEXT = {
    "elif_clause": "if 0:\n{i}{u}pass\n",
    "else_clause": "if 0:\n{i}{u}pass\n",
    "except_clause": "try:\n{i}{u}pass\n",
    "except_group_clause": "try:\n{i}{u}pass\n",
    "finally_clause": "try:\n{i}{u}pass\n",
}


@dataclass
class Region:
    lo: int
    hi: int
    prefix: bytes
    suffix: bytes
    open_end: bool  # an insertion exactly at `hi` belongs to this region
    original: str  # the normalised slice as it is

    def holds(self, edits: RawEdits) -> bool:
        return all(
            self.lo <= s and e <= self.hi and (self.open_end or s < self.hi) for s, e, _ in edits
        )

    def normalise(self, source: bytes, edits: RawEdits) -> str | None:
        """The mutated slice, normalised; None when it does not parse."""
        chunk = apply_edits(
            source[self.lo : self.hi],
            (Edit("", s - self.lo, e - self.lo, r) for s, e, r in edits),
        )
        return normalise(self.prefix + chunk + self.suffix)


def normalise(text: bytes) -> str | None:
    try:
        return ast.unparse(ast.parse(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _make(
    file: SourceFile, lo: int, hi: int, anchor: Node, suffix: str, open_end: bool = True
) -> Region | None:
    indent = file.source[file.line_start(anchor.start_byte) : anchor.start_byte].decode()
    indent = indent[: len(indent) - len(indent.lstrip())]
    # `pass` keeps the wrapper valid when a mutant deletes the whole slice.
    prefix = f"if 1:\n{indent}pass\n" if indent else ""
    template = _CLAUSE_CONTEXT.get(anchor.type)
    if template is not None:
        prefix += indent + template.format(i=indent, u=file.indent_unit)
    original = normalise(prefix.encode() + file.source[lo:hi] + suffix.encode())
    if original is None:  # this slice cannot stand alone: a wider one will do
        return None
    return Region(lo, hi, prefix.encode(), suffix.encode(), open_end, original)


def header_region(file: SourceFile, stmt: Node) -> Region | None:
    """A compound statement's header with `pass` for a body: edits of its condition only."""
    body = next((c for c in stmt.children if c.type == "block"), None)
    kids = [c for c in body.named_children if c.type != "comment"] if body is not None else []
    if not kids:
        return None
    first = kids[0]
    body_indent = file.indent_of(first)
    if body_indent is None:  # `if x: y` on one line
        hi, suffix = first.start_byte, "pass\n"
    else:
        hi, suffix = file.line_start(first.start_byte), body_indent + "pass\n"
    return _make(file, file.line_start(stmt.start_byte), hi, stmt, suffix, open_end=False)


def statement_region(file: SourceFile, stmt: Node) -> Region | None:
    """The statement's lines, from just after the previous statement (insertions land there)."""
    lo = min(file.before(stmt), file.line_start(stmt.start_byte))
    hi = file.next_line_start(stmt.end_byte)
    return _make(file, lo, hi, stmt, "")


def node_region(file: SourceFile, node: Node) -> Region | None:
    """A whole function or top-level statement."""
    lo, hi = file.line_start(node.start_byte), file.next_line_start(node.end_byte)
    return _make(file, lo, hi, node, "")


def site_regions(site: Site) -> list[Region]:
    """Narrowest first: header, statement, enclosing function, outermost function/statement."""
    file, stmt = site.file, site.stmt
    out: list[Region | None] = []
    if stmt.type not in ("function_definition", "class_definition", "decorated_definition"):
        out.append(header_region(file, stmt) if site.header and site.header[0] != stmt else None)
        out.append(statement_region(file, stmt))
    top, outer = stmt, None
    while top.parent is not None and top.parent.type != "module":
        top = top.parent
        if top.type == "function_definition":
            outer = top
    if site.func is not None:
        out.append(file.region_cache(site.func, node_region))
    out.append(file.region_cache(outer or top, node_region))
    return [r for r in out if r is not None]
