"""Name-level mutations: rename (other names in scope), attr (sibling attributes), return values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.propose.mutate.endings import final_values
from treefix.propose.mutate.exprs import atom, negated, operator_token
from treefix.propose.mutate.scope import PATTERNS
from treefix.propose.mutate.site import Mutant, Site, is_called, short

if TYPE_CHECKING:
    from tree_sitter import Node

# Commonly confused methods; each name maps to the others of its group.
_CONFUSED = (
    ("append", "extend"),
    ("remove", "discard", "pop"),
    ("keys", "values", "items"),
    ("lower", "upper"),
    ("startswith", "endswith"),
    ("sort", "reverse"),
    ("find", "index"),
    ("rfind", "rindex"),
    ("strip", "lstrip", "rstrip"),
    ("split", "rsplit"),
    ("add", "update"),
    ("append", "appendleft"),
    ("pop", "popleft"),
    ("isdigit", "isalpha", "isalnum"),
)
_BUILTIN_PAIRS = (("min", "max"), ("any", "all"), ("sorted", "reversed"))
MAX_ALTERNATIVES = 6


def _partners(groups: tuple[tuple[str, ...], ...]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for g in groups:
        for name in g:
            mates = out.setdefault(name, [])
            for other in g:
                if other != name and other not in mates:
                    mates.append(other)
    return {k: tuple(v) for k, v in out.items()}


PARTNERS = _partners(_CONFUSED)
BUILTIN_PARTNERS = _partners(_BUILTIN_PAIRS)

# Parents under which an identifier is a binding or a label, never a read worth renaming.
_BINDING_PARENTS = frozenset(
    {
        "parameters",
        "lambda_parameters",
        "typed_parameter",
        "list_splat_pattern",
        "dictionary_splat_pattern",
        "function_definition",
        "class_definition",
        "dotted_name",
        "aliased_import",
        "global_statement",
        "nonlocal_statement",
        "as_pattern_target",
    }
)


def is_read(node: Node) -> bool:
    """The identifier is read here (not assigned, not a parameter, not an attribute's name)."""
    p = node.parent
    if p is None or p.type in _BINDING_PARENTS:
        return False
    if p.type == "attribute":
        return p.child_by_field_name("object") == node
    if p.type in ("keyword_argument", "default_parameter", "typed_default_parameter"):
        return p.child_by_field_name("value") == node
    if p.type == "call":
        return p.child_by_field_name("function") != node
    child = node
    while p is not None and p.type in PATTERNS:
        child, p = p, p.parent
    if p is None:
        return True
    if p.type in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
        return p.child_by_field_name("left") != child
    if p.type == "named_expression":
        return p.child_by_field_name("name") != child
    return True


def rename(site: Site) -> Iterator[Mutant]:
    f, scope = site.file, site.scope
    for n in site.nodes("identifier"):
        name = f.text(n)
        if not scope.knows(name) or not is_read(n):
            continue
        for rank, alt in enumerate(scope.alternatives(name, n.start_point[0], MAX_ALTERNATIVES)):
            yield site.replace(n, alt, "rename", 1.0 - 0.06 * rank)


def _nearest(uses: list[tuple[int, str]]) -> list[str]:
    seen: dict[str, None] = {}
    for _, name in sorted(uses):
        seen.setdefault(name, None)
    return list(seen)


def attr(site: Site) -> Iterator[Mutant]:
    f = site.file
    for n in site.nodes("attribute"):
        obj, name_node = n.child_by_field_name("object"), n.child_by_field_name("attribute")
        if obj is None or name_node is None:
            continue
        name, obj_text, called, row = f.text(name_node), f.text(obj), is_called(n), n.start_point[0]
        alts: dict[str, float] = {p: 1.0 for p in PARTNERS.get(name, ())}
        uses = [u for u in f.attributes if u.called == called and u.name != name]
        same_obj = [(abs(u.row - row), u.name) for u in uses if u.obj == obj_text]
        for other in _nearest(same_obj):
            alts.setdefault(other, 0.9)
        if called:  # methods used on other objects: a weaker hint
            for other in _nearest([(abs(u.row - row), u.name) for u in uses]):
                alts.setdefault(other, 0.7)
        if _raised(n):  # `raise nx.NetworkXError(..)`: another exception the file knows, only
            alts = {a: w for a, w in alts.items() if a in f.exception_names}
        picked = [(a, w) for a, w in alts.items() if not a.startswith("__")][:MAX_ALTERNATIVES]
        for alt, w in picked:
            yield Mutant(
                "attr",
                ((name_node.start_byte, name_node.end_byte, alt),),
                f"replace `.{name}` with `.{alt}` in `{site.context}`",
                w,
            )
    for n in site.nodes("call"):
        fn = n.child_by_field_name("function")
        if fn is not None and fn.type == "identifier":
            for alt in BUILTIN_PARTNERS.get(f.text(fn), ()):
                yield site.replace(fn, alt, "attr")


def _raised(node: Node) -> bool:
    """The node is the class a `raise` statement raises (`raise X` or `raise X(...)`)."""
    parent = node.parent
    if (
        parent is not None
        and parent.type == "call"
        and parent.child_by_field_name("function") == node
    ):
        node, parent = parent, parent.parent
    return (
        parent is not None
        and parent.type == "raise_statement"
        and parent.named_children[:1] == [node]
    )


_NUMERIC_LIKE = frozenset(
    {
        "identifier",
        "call",
        "subscript",
        "attribute",
        "integer",
        "float",
        "parenthesized_expression",
        "binary_operator",
    }
)


def returns(site: Site) -> Iterator[Mutant]:
    yield from _return_variants(site)
    yield from _missing_return(site)


def _return_variants(site: Site) -> Iterator[Mutant]:
    stmt, f = site.stmt, site.file
    if stmt.type != "return_statement":
        return
    values = [c for c in stmt.named_children if c.type != "comment"]
    row = stmt.start_point[0]
    if not values:
        if site.scope.returns_value:  # a bare return among valued ones: return something
            for rank, alt in enumerate(site.scope.alternatives("", row, 3)):
                yield _ret(site, stmt, alt, 0.8 - 0.05 * rank)
        return
    x = values[0]
    if x.type == "expression_list":
        return
    text = f.text(x)
    if x.type != "none":
        yield _ret(site, x, "None", 0.8)
    yield _ret(site, x, negated(f, x), 0.9)
    if x.type == "unary_operator" and operator_token(x) == "-":
        arg = x.child_by_field_name("argument")
        if arg is not None:
            yield _ret(site, x, f.text(arg), 0.8)
    elif x.type in _NUMERIC_LIKE and text != "0":
        yield _ret(site, x, "-" + atom(f, x), 0.7)
    current = text if x.type == "identifier" else ""
    for rank, alt in enumerate(site.scope.alternatives(current, row, 4)):
        yield _ret(site, x, alt, 0.85 - 0.05 * rank)


def _ret(site: Site, node: Node, new: str, weight: float) -> Mutant:
    return Mutant(
        "return",
        ((node.start_byte, node.end_byte, new if node != site.stmt else f"return {new}"),),
        f"replace `{short(site.file.text(site.stmt), 40)}` with `return {short(new, 32)}`",
        weight,
    )


def _missing_return(site: Site) -> Iterator[Mutant]:
    """Template: the function falls off its end although it computes (or elsewhere returns) a value."""
    func, f = site.func, site.file
    if func is None:
        return
    scope = site.scope
    body = func.child_by_field_name("body")
    stmts = [c for c in body.named_children if c.type != "comment"] if body is not None else []
    name = func.child_by_field_name("name")
    if not stmts or scope.generator or (name is not None and f.text(name).startswith("__")):
        return
    last = stmts[-1]
    indent = f.indent_of(stmts[0])
    if last.type in ("return_statement", "raise_statement") or not indent:
        return
    recent: list[str] = []
    for _, var in reversed(scope.assigned):
        if var not in recent and var != "_":
            recent.append(var)
    weight = 1.0 if scope.returns_value else 0.75
    for var, w in final_values(f, func, recent):
        yield Mutant(
            "return",
            ((last.end_byte, last.end_byte, f"\n{indent}return {var}"),),
            f"add missing `return {var}` at the end of `{short(f.text(name or func), 32)}`",
            weight * w,
            line=last.end_point[0] + 2,
        )
