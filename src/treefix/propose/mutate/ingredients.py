"""Donor code ("plastic surgery": GenProg, ARJA, SimFix): expressions that occur elsewhere in the
file, indexed once per file, and which of them a site can use.

Most fixes reuse code the program already has. A donor is offered at a site only when every name
it reads is bound there (a parameter, a local assigned above, a module name, a builtin), ranked
by distance (same function > same class > module, `priors.DISTANCE`) and nearness in lines, and
de-duplicated by normalised text.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from treefix.propose.mutate.names import is_read
from treefix.propose.mutate.priors import DISTANCE
from treefix.propose.mutate.scope import SKIP_NAMES, import_names, target_names

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import Site, SourceFile

MAX_DONOR_CHARS = 72
BUILTIN_NAMES = frozenset(dir(builtins))
_FUNCS = ("function_definition",)
_VALUE_TYPES = frozenset({"identifier", "attribute", "subscript", "call"})
_CONDITION_OWNERS = ("if_statement", "elif_clause", "while_statement")


@dataclass(frozen=True)
class Donor:
    kind: str  # cond | clause | expr | arg | kwarg | ret | rhs | operand
    text: str
    norm: str
    names: frozenset[str]  # names it reads
    func: int  # start byte of its function (-1: module level)
    cls: int  # start byte of its class (-1: none)
    row: int
    callee: str = ""  # arg/kwarg: the called name (last dotted part); rhs: the assigned target
    pos: int = -1  # arg: its position
    node_type: str = ""


@lru_cache(maxsize=4096)
def norm_expr(text: str) -> str | None:
    """Normalised text of an expression (None: not an expression on its own)."""
    try:
        return ast.unparse(ast.parse(text.strip(), mode="eval"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def callee_name(file: SourceFile, call: Node) -> str:
    fn = call.child_by_field_name("function")
    if fn is None:
        return ""
    if fn.type == "attribute":
        name = fn.child_by_field_name("attribute")
        return file.text(name) if name is not None else ""
    return file.text(fn) if fn.type == "identifier" else ""


def read_names(file: SourceFile, node: Node) -> frozenset[str]:
    """Names the expression reads from its scope (comprehension and lambda names excluded)."""
    reads: set[str] = set()
    local: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "for_in_clause":
            local.update(file.text(i) for i in target_names(n.child_by_field_name("left")))
        elif n.type == "lambda":
            params = n.child_by_field_name("parameters")
            if params is not None:
                local.update(file.text(i) for i in params.named_children if i.type == "identifier")
        elif n.type == "identifier" and is_read(n):
            reads.add(file.text(n))
        stack.extend(n.children)
    return frozenset(reads - local)


def clauses(node: Node) -> list[Node]:
    """The `and`/`or` operands of a condition, flattened (a lone condition is its own clause)."""
    if node.type == "parenthesized_expression" and node.named_children:
        inner = node.named_children[0]
        if inner.type == "boolean_operator":
            return clauses(inner)
    if node.type != "boolean_operator":
        return [node]
    out: list[Node] = []
    for side in ("left", "right"):
        child = node.child_by_field_name(side)
        if child is not None:
            out.extend(clauses(child))
    return out


def statement_condition(stmt: Node) -> Node | None:
    if stmt.type in _CONDITION_OWNERS:
        return stmt.child_by_field_name("condition")
    return None


class DonorIndex:
    """Every donor expression of one file, found in one walk."""

    def __init__(self, file: SourceFile):
        self.file = file
        self.donors: list[Donor] = []
        self._seen: set[tuple] = set()
        self._walk()

    def _add(self, kind: str, node: Node, func: int, cls: int, **extra) -> None:
        text = self.file.text(node)
        if len(text) > MAX_DONOR_CHARS or "\n" in text or node.type == "comment":
            return
        norm = norm_expr(text)
        if norm is None:
            return
        key = (kind, norm, func, extra.get("callee", ""), extra.get("pos", -1))
        if key in self._seen:
            return
        self._seen.add(key)
        names = read_names(self.file, node)
        row = node.start_point[0]
        self.donors.append(
            Donor(kind, text, norm, names, func, cls, row, node_type=node.type, **extra)
        )

    def _walk(self) -> None:
        f = self.file
        stack: list[tuple[Node, int, int]] = [(f.tree.root_node, -1, -1)]
        while stack:
            n, func, cls = stack.pop()
            t = n.type
            if t in _FUNCS:
                func = n.start_byte
            elif t == "class_definition":
                cls, func = n.start_byte, -1
            cond = statement_condition(n)
            if cond is None and t in ("assert_statement", "if_clause") and n.named_children:
                cond = n.named_children[0]
            elif t == "conditional_expression" and len(n.named_children) == 3:
                cond = n.named_children[1]
            if cond is not None:
                self._add("cond", cond, func, cls)
                for c in clauses(cond):
                    self._add("clause", c, func, cls)
                    if c.type in _VALUE_TYPES:  # `if line.strip():` - a value worth reusing
                        self._add("expr", c, func, cls)
            elif t == "call":
                self._call(n, func, cls)
            elif t == "return_statement":
                for v in n.named_children[:1]:
                    if v.type != "expression_list":
                        self._add("ret", v, func, cls)
            elif t == "assignment":
                left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
                if left is not None and right is not None and right.type != "assignment":
                    self._add("rhs", right, func, cls, callee=f.text(left))
                if left is not None and left.type == "attribute":  # `self.rate = ...`
                    self._add("expr", left, func, cls)
            elif t in ("binary_operator", "comparison_operator"):
                for c in n.named_children:
                    if c.type in _VALUE_TYPES or c.type == "integer":
                        self._add("operand", c, func, cls)
            stack.extend((c, func, cls) for c in reversed(n.children))

    def _call(self, call: Node, func: int, cls: int) -> None:
        args = call.child_by_field_name("arguments")
        if args is None or args.type != "argument_list":
            return
        name = callee_name(self.file, call)
        pos = 0
        for a in args.named_children:
            if a.type == "keyword_argument":
                self._add("kwarg", a, func, cls, callee=name)
            elif a.type not in ("comment", "list_splat", "dictionary_splat"):
                self._add("arg", a, func, cls, callee=name, pos=pos)
                pos += 1

    def usable(
        self, site: Site, kinds: tuple[str, ...], exclude: set[str], limit: int
    ) -> list[tuple[Donor, float]]:
        """Donors of these kinds whose names are bound at the site: best first, one per text."""
        ranked: list[tuple[float, int, Donor]] = []
        row = site.stmt.start_point[0]
        own = range(row, header_end(site) + 1)
        for d in self.donors:
            if d.kind not in kinds or d.norm in exclude or d.row in own:
                continue  # the statement's own pieces are not donors: that is swapargs' job
            w = distance(site, d)
            if w <= 0 or not all(bound_at(site, n) for n in d.names):
                continue
            ranked.append((w, -abs(d.row - row), d))
        ranked.sort(key=lambda x: (-x[0], -x[1]))
        out: list[tuple[Donor, float]] = []
        seen = set(exclude)
        for w, _, d in ranked:
            if d.norm not in seen:
                seen.add(d.norm)
                out.append((d, w))
                if len(out) >= limit:
                    break
        return out


def header_end(site: Site) -> int:
    """The last row of the statement's own code (its header, for a compound statement)."""
    return max((h.end_point[0] for h in site.header), default=site.stmt.start_point[0])


def distance(site: Site, d: Donor) -> float:
    """DISTANCE by level, minus a little per line apart inside one function."""
    func = site.func.start_byte if site.func is not None else -1
    if d.func == func and func >= 0:
        return DISTANCE[0] - min(0.1, 0.005 * abs(d.row - site.stmt.start_point[0]))
    cls = enclosing_class(site)
    if cls >= 0 and d.cls == cls:
        return DISTANCE[1]
    return DISTANCE[2]


def enclosing_class(site: Site) -> int:
    n = site.func.parent if site.func is not None else None
    while n is not None:
        if n.type == "class_definition":
            return n.start_byte
        if n.type == "function_definition":
            return -1
        n = n.parent
    return -1


def bound_at(site: Site, name: str) -> bool:
    """The name can be read at the site's statement without a NameError/UnboundLocalError."""
    if name in SKIP_NAMES and name not in ("self", "cls"):
        return False
    row = site.stmt.start_point[0]
    func = site.func
    if func is not None:
        first = site.scope.bound.get(name)
        if first is not None:
            return first <= row
        outer = func.parent
        while outer is not None:  # closures see their enclosing functions' names
            if outer.type == "function_definition" and name in site.file.scope(outer).bound:
                return True
            outer = outer.parent
    if name in site.file.module_names:
        return func is not None or site.file.module_names[name] <= row
    return name in BUILTIN_NAMES


def module_names(file: SourceFile) -> dict[str, int]:
    """Every name bound at module level (assignments, defs, classes, imports) -> its row."""
    out: dict[str, int] = {}
    stack = list(reversed(file.tree.root_node.named_children))
    while stack:
        n = stack.pop()
        t = n.type
        if t in ("function_definition", "class_definition"):
            name = n.child_by_field_name("name")
            if name is not None:
                out.setdefault(file.text(name), n.start_point[0])
        elif t == "decorated_definition":
            stack.extend(c for c in n.named_children if c.type.endswith("definition"))
        elif t in ("import_statement", "import_from_statement"):
            for i in import_names(n):
                out.setdefault(file.text(i), n.start_point[0])
        elif t == "expression_statement":
            for a in n.named_children:
                node: Node | None = a
                while node is not None and node.type == "assignment":
                    for i in target_names(node.child_by_field_name("left")):
                        out.setdefault(file.text(i), n.start_point[0])
                    node = node.child_by_field_name("right")
        elif t in ("if_statement", "try_statement", "block", "else_clause", "except_clause"):
            stack.extend(reversed([c for c in n.named_children]))
    return out
