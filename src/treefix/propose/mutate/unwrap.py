"""Statement-shape fix patterns (TBar's "remove a conditional", "statement kind changed"):

- unwrap: a check that should not be there: `if c: body` -> `body`, dedented (and for an
  `if`/`else`, either branch kept alone). The condition dropped whole, the end of "less specific
  if" whose clause-level part is `dropcond`.
- discard: a value computed and thrown away, `"{}:{}".format(a, b)` as a statement where
  `return "{}:{}".format(a, b)` was meant (a missing `return`). Only for expressions without
  effects (no call other than a string's own methods), so it never fires on ordinary calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.site import Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

# Expressions that compute a value and do nothing else (a call is allowed on a string literal:
# `"..".format(..)`, `", ".join(..)`).
_PURE = frozenset(
    {
        "binary_operator",
        "comparison_operator",
        "boolean_operator",
        "not_operator",
        "unary_operator",
        "attribute",
        "subscript",
        "identifier",
        "conditional_expression",
        "concatenated_string",
        "list",
        "tuple",
        "dictionary",
        "set",
        "list_comprehension",
        "dictionary_comprehension",
        "set_comprehension",
        "integer",
        "float",
        "true",
        "false",
        "call",
    }
)


def _block_text(f: SourceFile, block: Node, indent: str) -> str | None:
    """The block's lines moved to `indent` (None when a multi-line string would change)."""
    for n in iter_nodes(block):
        if n.type == "string" and n.start_point[0] != n.end_point[0]:
            return None
    first = next((c for c in block.named_children if c.type != "comment"), None)
    if first is None:
        return None
    inner = f.indent_of(first)
    if inner is None:
        return None
    start, end = f.line_start(block.start_byte), f.line_end(block.end_byte)
    lines = f.source[start:end].decode("utf-8", "replace").split("\n")
    if block.start_point[0] == block.end_point[0] and not inner:  # `if c: x` on one line
        return None
    out = []
    for ln in lines:
        if ln.startswith(inner):
            out.append(indent + ln[len(inner) :])
        elif ln.strip():
            return None  # a line indented less than the block's first: leave it alone
        else:
            out.append(ln)
    return "\n".join(out)


def unwrap(site: Site) -> Iterator[Mutant]:
    stmt, f = site.stmt, site.file
    if stmt.type != "if_statement":
        return
    indent = f.indent_of(stmt)
    body = stmt.child_by_field_name("consequence")
    if indent is None or body is None:
        return
    alts = stmt.children_by_field_name("alternative")
    if any(a.type == "elif_clause" for a in alts):
        return
    start, end = f.line_start(stmt.start_byte), f.line_end(stmt.end_byte)
    cond = stmt.child_by_field_name("condition")
    what = short(f.text(cond), 32) if cond is not None else "the condition"
    kept = _block_text(f, body, indent)
    if kept is not None:
        desc = f"drop the check `if {what}:`, keep its body"
        yield Mutant("unwrap", ((start, end, kept),), desc, 0.7 if alts else 1.0)
    for alt in alts:  # the else branch alone
        other = alt.child_by_field_name("body")
        text = _block_text(f, other, indent) if other is not None else None
        if text is not None:
            desc = f"drop the check `if {what}:`, keep its `else` branch"
            yield Mutant("unwrap", ((start, end, text),), desc, 0.5)


def _pure(f: SourceFile, node: Node) -> bool:
    for n in iter_nodes(node):
        if n.type == "call":
            fn = n.child_by_field_name("function")
            obj = fn.child_by_field_name("object") if fn is not None else None
            if fn is None or fn.type != "attribute" or obj is None:
                return False
            if obj.type not in ("string", "concatenated_string"):
                return False
        elif n.type in ("yield", "await", "assignment", "named_expression", "lambda"):
            return False
    return True


def discard(site: Site) -> Iterator[Mutant]:
    stmt, f = site.stmt, site.file
    if site.func is None or stmt.type != "expression_statement":
        return
    kids = [c for c in stmt.named_children if c.type != "comment"]
    if len(kids) != 1 or kids[0].type not in _PURE or not _pure(f, kids[0]):
        return
    text = f.text(stmt)
    # a bare `obj.method` or name read is as likely a missing call (`callfix`): weaker
    w = 0.5 if kids[0].type in ("attribute", "identifier") else 1.0
    yield Mutant(
        "discard",
        ((stmt.start_byte, stmt.end_byte, f"return {text}"),),
        f"return the value computed and dropped: `{short(text, 40)}`",
        w,
    )
