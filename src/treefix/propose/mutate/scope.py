"""Names in scope at a statement: parameters and locals of its function, module-level names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

# Never proposed as a replacement, never replaced: swapping these is noise.
SKIP_NAMES = frozenset({"self", "cls", "_", "__name__", "__file__"})
PATTERNS = frozenset(
    {
        "pattern_list",
        "tuple_pattern",
        "list_pattern",
        "list_splat_pattern",
        "tuple",
        "list",
        "parenthesized_expression",
        "list_splat",
        "as_pattern_target",
    }
)


@dataclass
class Scope:
    local: dict[str, list[int]] = field(default_factory=dict)  # name -> rows it occurs on
    module: dict[str, int] = field(default_factory=dict)  # module-level value names -> row
    assigned: list[tuple[int, str]] = field(default_factory=list)  # plain assignments, in order
    returns_value: bool = False  # some `return <expr>` in the function itself
    generator: bool = False  # a `yield` in the function itself: no return-value templates
    declares: bool = False  # `global`/`nonlocal` inside: renames need a real compile check
    bound: dict[str, int] = field(default_factory=dict)  # local name -> first row binding it

    def knows(self, name: str) -> bool:
        return name not in SKIP_NAMES and (name in self.local or name in self.module)

    def alternatives(self, name: str, row: int, limit: int = 6) -> list[str]:
        """Other names to put in place of `name`: locals used nearby first, then module names."""
        ranked = sorted(
            (min(abs(r - row) for r in rows), n)
            for n, rows in self.local.items()
            if n != name and n not in SKIP_NAMES
        )
        ranked += sorted(
            (10_000 + abs(r - row), n)
            for n, r in self.module.items()
            if n != name and n not in SKIP_NAMES and n not in self.local
        )
        return [n for _, n in ranked[:limit]]


def target_names(node: Node | None) -> list[Node]:
    """Identifiers bound by an assignment target (`a`, `a, (b, *c)`), not attributes/subscripts."""
    if node is None:
        return []
    if node.type == "identifier":
        return [node]
    if node.type in PATTERNS:
        out: list[Node] = []
        for c in node.named_children:
            out.extend(target_names(c))
        return out
    return []


def _param_names(param: Node) -> list[Node]:
    if param.type == "identifier":
        return [param]
    if param.type in ("default_parameter", "typed_default_parameter"):
        return target_names(param.child_by_field_name("name"))
    if param.type in ("typed_parameter", "list_splat_pattern", "dictionary_splat_pattern"):
        return [c for c in param.named_children if c.type == "identifier"][:1]
    return []


def import_names(stmt: Node) -> list[Node]:
    out = []
    for c in stmt.named_children:
        if c.type == "aliased_import":
            alias = c.child_by_field_name("alias")
            if alias is not None:
                out.append(alias)
        elif c.type == "dotted_name" and c != stmt.child_by_field_name("module_name"):
            out.append(c.named_children[0])
    return out


def function_scope(file: SourceFile, func: Node) -> Scope:
    module = file.module
    scope = Scope(module=module.module)
    defined: set[str] = set()
    params = func.child_by_field_name("parameters")
    for p in params.named_children if params is not None else ():
        defined.update(file.text(n) for n in _param_names(p))
    head = func.start_point[0]
    bound = dict.fromkeys(defined, head)

    def bind(nodes: list[Node]) -> None:
        for i in nodes:
            bound.setdefault(file.text(i), i.start_point[0])
            defined.add(file.text(i))

    seen: list[tuple[str, int]] = []
    body = func.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        n = stack.pop()
        t = n.type
        if t in ("function_definition", "class_definition"):
            # A nested scope: its own names are not ours, only its name is.
            name_node = n.child_by_field_name("name")
            if name_node is not None:
                bind([name_node])
            continue
        if t == "lambda":
            continue
        if t == "identifier":
            seen.append((file.text(n), n.start_point[0]))
        elif t in ("assignment", "augmented_assignment"):
            for ident in target_names(n.child_by_field_name("left")):
                bind([ident])
                scope.assigned.append((ident.start_point[0], file.text(ident)))
        elif t == "for_statement":
            bind(target_names(n.child_by_field_name("left")))
        elif t == "named_expression":
            bind(target_names(n.child_by_field_name("name")))
        elif t == "as_pattern_target":
            bind(target_names(n))
        elif t in ("import_statement", "import_from_statement"):
            bind(import_names(n))
            continue
        elif t == "return_statement" and n.named_children:
            scope.returns_value = True
        elif t == "yield":
            scope.generator = True
        elif t in ("global_statement", "nonlocal_statement"):
            scope.declares = True
        stack.extend(reversed(n.children))
    if params is not None:
        for p in params.named_children:
            seen.extend((file.text(i), i.start_point[0]) for i in _param_names(p))
    for name, row in seen:
        if name in defined:
            scope.local.setdefault(name, []).append(row)
    scope.assigned.sort()
    scope.bound = bound
    return scope


def module_scope(file: SourceFile) -> Scope:
    """Module-level assigned names (constants, globals).

    Functions, classes and imports are left out: a data read swapped for one of them is
    almost never the fix, and they would crowd out the locals.
    """
    values: dict[str, int] = {}
    for n in file.tree.root_node.named_children:
        if n.type != "expression_statement":
            continue
        for a in n.named_children:
            node: Node | None = a
            while node is not None and node.type == "assignment":  # a = b = 0
                for ident in target_names(node.child_by_field_name("left")):
                    values.setdefault(file.text(ident), n.start_point[0])
                node = node.child_by_field_name("right")
    return Scope(module=values)
