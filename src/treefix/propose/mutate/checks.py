"""Checks real projects' fixes add around code that assumed too much (bench/real/RESULTS.md,
repository bugs): a condition that reads a collection guarded for it being set (`truthy`:
`if len(self.cols) > 0:` -> `if self.cols and len(self.cols) > 0:`, TBar's null-pointer
checker in Python's idiom), and a statement guarded the way the same statement is guarded
elsewhere in its class or module (`likeguard`: `raise HTTPException(...)` ->
`if self.auto_error: raise HTTPException(...)` `else: return None`, copying the sibling's `if`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import SIMPLE_STATEMENTS, iter_nodes
from treefix.propose.mutate.ingredients import bound_at, read_names, statement_condition
from treefix.propose.mutate.priors import DISTANCE
from treefix.propose.mutate.site import Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

MAX_GUARDS = 3
_LOOSE = frozenset({"boolean_operator", "conditional_expression", "lambda", "named_expression"})
_HEADS = ("if_statement", "elif_clause", "while_statement")


def truthy(site: Site) -> Iterator[Mutant]:
    """`X and <cond>` / `X is not None and <cond>` for X a name or attribute the condition
    measures (`len(X)`), indexes (`X[i]`) or searches (`v in X`)."""
    f = site.file
    cond = statement_condition(site.stmt)
    if site.stmt.type not in _HEADS or cond is None:
        return
    text = f.text(cond)
    body = f"({text})" if cond.type in _LOOSE and _op(cond) != "and" else text
    for x in _measured(f, cond)[:2]:
        if text.startswith(f"{x} and ") or text.startswith(f"{x} is not None and "):
            continue
        for check, w in ((x, 1.0), (f"{x} is not None", 0.9)):
            desc = f"check `{check}` first in `{site.context}`"
            yield Mutant(
                "truthy", ((cond.start_byte, cond.end_byte, f"{check} and {body}"),), desc, w
            )


def _op(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def _measured(f: SourceFile, cond: Node) -> list[str]:
    out: list[str] = []
    for n in iter_nodes(cond):
        base: Node | None = None
        if n.type == "call":
            fn, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
            kids = [a for a in args.named_children if a.type != "comment"] if args else []
            if fn is not None and f.text(fn) == "len" and len(kids) == 1:
                base = kids[0]
        elif n.type == "subscript":
            base = n.child_by_field_name("value")
        elif n.type == "comparison_operator" and any(
            c.type == "in" for c in n.children if not c.is_named
        ):
            kids = n.named_children
            base = kids[-1] if len(kids) == 2 else None
        if base is not None and base.type in ("identifier", "attribute"):
            text = f.text(base)
            if text not in out and "(" not in text:
                out.append(text)
    return out


def likeguard(site: Site) -> Iterator[Mutant]:
    stmt, f = site.stmt, site.file
    if stmt.type not in SIMPLE_STATEMENTS or site.func is None or not f.ends_line(stmt):
        return
    indent = f.indent_of(stmt)
    key = _key(f, stmt)
    if indent is None or key is None:
        return
    unit = f.indent_unit
    start, end = f.line_start(stmt.start_byte), f.line_end(stmt.end_byte)
    # the statement's lines shift right by one unit: small insertions, so the edit's size is the
    # guard itself, not the whole re-indented statement
    shift = [(at, at, unit) for at in _line_starts(f.source, start, end)[1:]]
    seen: set[str] = set()
    for cond, other, w in _donors(site, key):
        if cond in seen:
            continue
        seen.add(cond)
        head = (start, start, f"{indent}if {cond}:\n{unit}")  # and the first line's shift
        if other is not None:
            desc = f"guard `{site.context}` with `if {short(cond, 24)}:` / `else: {other}`"
            tail = (end, end, f"\n{indent}else:\n{indent}{unit}{other}")
            yield Mutant("likeguard", (head, *shift, tail), desc, w)
        desc = f"guard `{site.context}` with `if {short(cond, 28)}:` as elsewhere"
        yield Mutant("likeguard", (head, *shift), desc, 0.8 * w)
        if len(seen) >= MAX_GUARDS:
            return


def _line_starts(source: bytes, start: int, end: int) -> list[int]:
    """Offsets of the non-blank lines between start (a line start) and end."""
    out, at = [], start
    while at < end:
        nl = source.find(b"\n", at, end)
        stop = end if nl < 0 else nl
        if source[at:stop].strip():
            out.append(at)
        at = stop + 1
    return out


def _key(f: SourceFile, stmt: Node) -> str | None:
    """What makes two statements "the same" here: a raise or call of the same callee, or the
    same return statement word for word."""
    inner = stmt.named_children[0] if stmt.named_children else None
    if stmt.type in ("raise_statement", "expression_statement") and inner is not None:
        fn = inner.child_by_field_name("function") if inner.type == "call" else None
        return f"{stmt.type}:{f.text(fn)}" if fn is not None else None
    if stmt.type == "return_statement":
        return " ".join(f.text(stmt).split())
    return None


def _donors(site: Site, key: str) -> Iterator[tuple[str, str | None, float]]:
    """(condition, else-statement or None, weight) of each `if` whose body is one statement with
    the same key, in the site's class first, then in the module (ingredient distance); the
    condition's names must be readable here."""
    f = site.file
    cls = site.func
    while cls is not None and cls.type != "class_definition":
        cls = cls.parent
    if cls is not None:
        for cond, other in _guards(site, cls, key):
            yield cond, other, DISTANCE[1]
    for cond, other in _guards(site, f.tree.root_node, key):
        yield cond, other, DISTANCE[2]


def _guards(site: Site, root: Node, key: str) -> Iterator[tuple[str, str | None]]:
    f = site.file
    for n in iter_nodes(root):
        if n.type != "if_statement" or n.start_byte <= site.stmt.start_byte < n.end_byte:
            continue
        body, cond = n.child_by_field_name("consequence"), n.child_by_field_name("condition")
        kids = [c for c in body.named_children if c.type != "comment"] if body else []
        if cond is None or len(kids) != 1 or _key(f, kids[0]) != key or "\n" in f.text(cond):
            continue
        if not all(bound_at(site, name) for name in read_names(f, cond)):
            continue
        yield f.text(cond), _else(f, n)


def _else(f: SourceFile, node: Node) -> str | None:
    alts = node.children_by_field_name("alternative")
    if len(alts) != 1 or alts[0].type != "else_clause":
        return None
    body = alts[0].child_by_field_name("body")
    kids = [c for c in body.named_children if c.type != "comment"] if body else []
    if len(kids) == 1 and kids[0].type in SIMPLE_STATEMENTS and "\n" not in f.text(kids[0]):
        return f.text(kids[0])
    return None
