"""Guard templates (TBar): an empty or bounds check before a use (`guard`; None checks are the
`isnone` family), a missing `return`/`break`/`continue` after a statement (`jump`), and a statement
wrapped in try/except (`trywrap`), with the exception the failing test raised when known."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import SIMPLE_STATEMENTS
from treefix.propose.mutate.scope import SKIP_NAMES
from treefix.propose.mutate.site import Mutant, Site, short
from treefix.propose.mutate.statements import STRUCTURAL, sibling

if TYPE_CHECKING:
    from tree_sitter import Node

_CLAUSES = frozenset({"elif_clause", "else_clause"})
_JUMPS = frozenset({"return_statement", "raise_statement", "continue_statement", "break_statement"})
_NEEDS_ITEMS = frozenset({"max", "min", "next", "statistics.mean", "mean", "median"})
_LITERALS = frozenset(
    {"none", "integer", "float", "string", "true", "false", "list", "dictionary", "tuple", "set"}
)
_NO_WRAP = frozenset({"raise_statement", "continue_statement", "break_statement", "pass_statement"})
MAX_DEFAULTS = 3


def _guardable(site: Site) -> str | None:
    """The statement's indentation when a line can go before it, else None."""
    stmt, f = site.stmt, site.file
    if site.func is None or stmt.type in STRUCTURAL or stmt.type in _CLAUSES:
        return None
    return f.indent_of(stmt)


def defaults(site: Site) -> list[str]:
    """What an early return gives back: the literals the function returns elsewhere, then None."""
    f = site.file
    if not site.scope.returns_value:
        return [""]
    found: list[str] = []
    body = site.func.child_by_field_name("body") if site.func is not None else None
    stack = [body] if body is not None else []
    while stack:
        n = stack.pop()
        if n.type in ("function_definition", "class_definition", "lambda"):
            continue
        if n.type == "return_statement" and n.named_children:
            v = n.named_children[0]
            if v.type in _LITERALS and len(f.text(v)) <= 24 and f.text(v) not in found:
                found.append(f.text(v))
        stack.extend(reversed(n.named_children))
    found += [d for d in ("None", "0") if d not in found]
    return found[:MAX_DEFAULTS]


def _exits(site: Site) -> list[tuple[str, float]]:
    """Statements that leave early, best first: return <default>, then continue/break in loops."""
    out = [(f"return {d}".rstrip(), 1.0 - 0.1 * i) for i, d in enumerate(defaults(site))]
    if site.in_loop:
        out += [("continue", 0.8), ("break", 0.7)]
    return out


def _collections(site: Site) -> list[str]:
    """Local names the statement needs non-empty: indexed, or given to max/min and the like."""
    f, names = site.file, []
    for n in site.targets:
        base = None
        if n.type == "subscript":
            base = n.child_by_field_name("value")
        elif n.type == "call":
            fn, args = n.child_by_field_name("function"), n.child_by_field_name("arguments")
            name = f.text(fn) if fn is not None else ""
            divisor = name == "len" and _divides(n)
            if (name in _NEEDS_ITEMS or divisor) and args is not None:
                kids = [a for a in args.named_children if a.type != "comment"]
                base = kids[0] if len(kids) == 1 else None
        if base is not None and base.type == "identifier":
            name = f.text(base)
            if name in site.scope.local and name not in SKIP_NAMES and name not in names:
                names.append(name)
    return names[:3]


def _divides(node: Node) -> bool:
    """`... / len(xs)`: the node is the right operand of a division."""
    p = node.parent
    op = (
        p.child_by_field_name("operator") if p is not None and p.type == "binary_operator" else None
    )
    return (
        p is not None
        and op is not None
        and op.type in ("/", "//", "%")
        and p.child_by_field_name("right") == node
    )


def _indices(site: Site) -> list[tuple[str, str]]:
    """(collection, index) of `xs[i]` reads with a name or attribute as index."""
    f, out = site.file, []
    for n in site.nodes("subscript"):
        value, subs = n.child_by_field_name("value"), n.children_by_field_name("subscript")
        if value is None or len(subs) != 1 or subs[0].type not in ("identifier", "attribute"):
            continue
        pair = (f.text(value), f.text(subs[0]))
        if value.type in ("identifier", "attribute") and pair not in out:
            out.append(pair)
    return out[:2]


def guard(site: Site) -> Iterator[Mutant]:
    indent = _guardable(site)
    if indent is None:
        return
    f, unit = site.file, site.file.indent_unit
    at = f.line_start(site.stmt.start_byte)
    checks = [(f"not {xs}", f"`{xs}` is empty", 1.0) for xs in _collections(site)]
    checks += [(f"{i} >= len({xs})", f"`{i}` is out of `{xs}`", 0.9) for xs, i in _indices(site)]
    for test, why, w in checks:
        for exit_, ew in _exits(site):
            text = f"{indent}if {test}:\n{indent}{unit}{exit_}\n"
            desc = f"`{exit_}` when {why}, before `{site.context}`"
            yield Mutant("guard", ((at, at, text),), desc, w * ew)


def jump(site: Site) -> Iterator[Mutant]:
    """A `return`/`break`/`continue` the code is missing after a statement, or at the end of an
    `if` body (the loop goes on after finding what it looked for)."""
    stmt, f = site.stmt, site.file
    if site.func is None:
        return
    if stmt.type in SIMPLE_STATEMENTS and stmt.type not in _JUMPS:
        anchor: Node | None = stmt
        w = 1.0
    elif stmt.type in ("if_statement", "elif_clause"):
        body = stmt.child_by_field_name("consequence")
        kids = [c for c in body.named_children if c.type != "comment"] if body is not None else []
        anchor = kids[-1] if kids and kids[-1].type not in _JUMPS else None
        w = 0.9
    else:
        return
    if anchor is None or anchor.type not in SIMPLE_STATEMENTS or not f.ends_line(anchor):
        return
    indent = f.indent_of(anchor)
    if indent is None:
        return
    after = sibling(anchor, 1)
    nxt = f.text(after) if after is not None else ""
    for text, jw in _jumps(site, anchor):
        if text != nxt:
            desc = f"add `{text}` after `{short(f.text(anchor), 32)}`"
            yield Mutant("jump", (f.after(anchor, indent + text),), desc, w * jw)


def _jumps(site: Site, anchor: Node) -> list[tuple[str, float]]:
    f = site.file
    out: list[tuple[str, float]] = []
    if site.in_loop:
        out += [("break", 1.0), ("continue", 0.8)]
    if not site.scope.returns_value:
        out.append(("return", 0.7))
        return out
    if anchor.type == "expression_statement" and anchor.named_children:
        a = anchor.named_children[0]
        left = a.child_by_field_name("left") if a.type == "assignment" else None
        if left is not None and left.type == "identifier":
            out.append((f"return {f.text(left)}", 0.9))
    out += [(f"return {d}", 0.6) for d in defaults(site)[:2]]
    return out


def trywrap(site: Site) -> Iterator[Mutant]:
    """try/except around a simple statement: the exception the tests saw, else `Exception`."""
    stmt, f = site.stmt, site.file
    indent = _guardable(site)
    wrappable = stmt.type in SIMPLE_STATEMENTS and stmt.type not in _NO_WRAP
    if indent is None or not wrappable or not f.ends_line(stmt):
        return
    unit = f.indent_unit
    start, end = f.line_start(stmt.start_byte), f.line_end(stmt.end_byte)
    body = f.source[start:end].decode("utf-8", "replace")
    shifted = "\n".join(unit + ln if ln.strip() else ln for ln in body.split("\n"))
    handlers = [] if stmt.type == "return_statement" else [("pass", 1.0)]
    handlers += [(e, w * 0.9) for e, w in _exits(site)[:2]]
    kinds = [(e, 1.0) for e in site.exceptions[:2]] or [("Exception", 0.5)]
    for exc, xw in kinds:
        for handler, hw in handlers:
            text = f"{indent}try:\n{shifted}\n{indent}except {exc}:\n{indent}{unit}{handler}"
            desc = f"catch `{exc}` around `{site.context}` ({handler})"
            yield Mutant("trywrap", ((start, end, text),), desc, xw * hw)
