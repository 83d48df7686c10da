"""What a mutation operator sees: one suspicious statement of one parsed file, and what it yields."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from treefix.code.normalize import normalize_source
from treefix.code.syntax import SIMPLE_STATEMENTS, enclosing_function, iter_nodes
from treefix.propose.mutate.scope import Scope, function_scope, module_scope

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from treefix.propose.mutate.calls import Signature
    from treefix.propose.mutate.ingredients import DonorIndex
    from treefix.propose.mutate.regions import Region

# Children of a compound statement that are nested statements, not part of its header.
_NOT_HEADER = frozenset(
    {
        "block",
        "comment",
        "elif_clause",
        "else_clause",
        "except_clause",
        "finally_clause",
        "case_clause",
        "except_group_clause",
    }
)
# Compound statements whose header is not worth mutating (names, decorators, patterns).
_NO_HEADER = frozenset(
    {
        "class_definition",
        "decorated_definition",
        "try_statement",
        "else_clause",
        "finally_clause",
        "case_clause",
    }
)
LOOPS = frozenset({"for_statement", "while_statement"})


@dataclass(frozen=True)
class Mutant:
    """One raw mutation: byte edits into the file as read, before compile checks and dedupe."""

    family: str
    edits: tuple[tuple[int, int, str], ...]
    description: str
    weight: float = 1.0  # relative to the family prior: how plausible within the family
    line: int = 0  # 1-based line the edit points at, 0 = the site's line


def short(text: str, limit: int = 48) -> str:
    """One line for a description: whitespace collapsed, long text cut."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


class SourceFile:
    """A parsed file with the per-file indexes operators share; all of it depends on the bytes
    alone, so the proposer keeps it across calls for as long as the file is unchanged."""

    def __init__(self, path: str, source: bytes, tree: Tree):
        self.path = path
        self.source = source
        self.tree = tree
        self._scopes: dict[int, Scope] = {}
        self._regions: dict[tuple[int, int], Region | None] = {}
        # (mutant edits, slices checked) -> what makes the program unique (None: does not parse
        # or changes nothing): the proposer's checks, kept with the file
        self.keys: dict[tuple, tuple | None] = {}

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def line_start(self, offset: int) -> int:
        return self.source.rfind(b"\n", 0, offset) + 1

    def line_end(self, offset: int) -> int:
        """Offset of the newline ending the line holding `offset` (or the end of the file)."""
        end = self.source.find(b"\n", offset)
        return len(self.source) if end < 0 else end

    def next_line_start(self, offset: int) -> int:
        return min(self.line_end(offset) + 1, len(self.source))

    def indent_of(self, node: Node) -> str | None:
        """Leading whitespace of the node's line, or None when something precedes it there."""
        prefix = self.source[self.line_start(node.start_byte) : node.start_byte]
        return prefix.decode() if not prefix.strip() else None

    def ends_line(self, node: Node) -> bool:
        """Only whitespace or a comment follows the node on its last line."""
        rest = self.source[node.end_byte : self.line_end(node.end_byte)].strip()
        return not rest or rest.startswith(b"#")

    def before(self, node: Node) -> int:
        """Where to insert a line before a statement: right after the previous statement's line,
        so "after A" and "before B" are the same edit (and dedupe as one)."""
        prev = node.prev_named_sibling
        while prev is not None and prev.type == "comment":
            prev = prev.prev_named_sibling
        if prev is not None and prev.end_point[0] < node.start_point[0]:
            return self.next_line_start(prev.end_byte)
        return self.line_start(node.start_byte)

    def after(self, node: Node, text: str) -> tuple[int, int, str]:
        """An edit inserting the line `text` (indented, no newline) after the node's last line."""
        end = self.line_end(node.end_byte)
        if end == len(self.source):
            return end, end, "\n" + text
        return end + 1, end + 1, text + "\n"

    @cached_property
    def normalised(self) -> bytes:
        return normalize_source(self.source)

    @cached_property
    def indent_unit(self) -> str:
        return "\t" if b"\n\t" in self.source else "    "

    @cached_property
    def module(self) -> Scope:
        return module_scope(self)

    def scope(self, func: Node | None) -> Scope:
        if func is None:
            return self.module
        key = func.start_byte
        if key not in self._scopes:
            self._scopes[key] = function_scope(self, func)
        return self._scopes[key]

    def region_cache(
        self, node: Node, make: Callable[[SourceFile, Node], Region | None]
    ) -> Region | None:
        """One region per function per call: every site in it shares the slice."""
        key = (node.start_byte, node.end_byte)
        if key not in self._regions:
            self._regions[key] = make(self, node)
        return self._regions[key]

    @cached_property
    def donors(self) -> DonorIndex:
        from treefix.propose.mutate.ingredients import (
            DonorIndex,  # cycle: that module builds on Site
        )

        return DonorIndex(self)

    @cached_property
    def signatures(self) -> dict[str, list[Signature]]:
        from treefix.propose.mutate.calls import signatures  # cycle: that module builds on Site

        return signatures(self)

    @cached_property
    def keyword_params(self) -> dict[str, list[list[str]]]:
        from treefix.propose.mutate.apicalls import keyword_params  # cycle: builds on Site

        return keyword_params(self)

    @cached_property
    def keyword_values(self) -> dict[str, list[tuple[str, int]]]:
        from treefix.propose.mutate.apicalls import keyword_values  # cycle: builds on Site

        return keyword_values(self)

    @cached_property
    def name_groups(self) -> dict[str, list[list[str]]]:
        from treefix.propose.mutate.members import name_groups  # cycle: builds on Site

        return name_groups(self)

    @cached_property
    def module_names(self) -> dict[str, int]:
        from treefix.propose.mutate.ingredients import (
            module_names,  # cycle: that module builds on Site
        )

        return module_names(self)

    @cached_property
    def exception_names(self) -> frozenset[str]:
        """Names the file raises or catches (`raise nx.NetworkXError(..)`, `except KeyError`):
        what a raised class may be swapped for."""
        names = set()
        for n in iter_nodes(self.tree.root_node):
            if n.type not in ("raise_statement", "except_clause"):
                continue
            for part in n.named_children:
                part = part.child_by_field_name("function") or part if part.type == "call" else part
                for leaf in iter_nodes(part) if part.type in ("tuple", "as_pattern") else [part]:
                    if leaf.type == "attribute":
                        leaf = leaf.child_by_field_name("attribute") or leaf
                    if leaf.type == "identifier":
                        names.add(self.text(leaf))
        return frozenset(names)

    @cached_property
    def attributes(self) -> list[AttrUse]:
        """Every `obj.name` in the file: what `attr` draws its sibling names from."""
        uses = []
        for n in iter_nodes(self.tree.root_node):
            if n.type != "attribute":
                continue
            obj, name = n.child_by_field_name("object"), n.child_by_field_name("attribute")
            if obj is None or name is None:
                continue
            uses.append(AttrUse(self.text(obj), self.text(name), is_called(n), n.start_point[0]))
        return uses


@dataclass(frozen=True)
class AttrUse:
    obj: str
    name: str
    called: bool
    row: int


def is_called(node: Node) -> bool:
    parent = node.parent
    return (
        parent is not None
        and parent.type == "call"
        and parent.child_by_field_name("function") == node
    )


@dataclass
class Site:
    """One suspicious statement; operators mutate its header (or all of it when simple)."""

    file: SourceFile
    stmt: Node
    score: float
    line: int
    exceptions: tuple[str, ...] = ()  # builtin exceptions the failing tests raised (trywrap)
    not_callable: bool = False  # the failing tests called a value that is not callable (nocall)
    # (one side, other side) of the failing assertions' differing values (expected)
    values: tuple[tuple[str | int | float, str | int | float], ...] = ()

    @cached_property
    def func(self) -> Node | None:
        if self.stmt.type == "function_definition":
            return self.stmt
        return enclosing_function(self.stmt)

    @cached_property
    def scope(self) -> Scope:
        return self.file.scope(self.func)

    @cached_property
    def header(self) -> list[Node]:
        """The statement's own expressions: nested blocks are separate suspicions."""
        t = self.stmt.type
        if t in _NO_HEADER:
            return []
        if t == "function_definition":
            params = self.stmt.child_by_field_name("parameters")
            return [params] if params is not None else []
        if t in SIMPLE_STATEMENTS:
            return [self.stmt]
        return [c for c in self.stmt.named_children if c.type not in _NOT_HEADER]

    @cached_property
    def targets(self) -> list[Node]:
        """Every node of the header, pre-order."""
        out: list[Node] = []
        for h in self.header:
            out.extend(iter_nodes(h))
        return out

    @cached_property
    def context(self) -> str:
        first = self.file.text(self.stmt).split("\n", 1)[0]
        return short(first)

    @cached_property
    def in_loop(self) -> bool:
        """Inside a loop body of the same function: `continue`/`break` are legal here."""
        child, n = self.stmt, self.stmt.parent
        while n is not None and n.type not in ("function_definition", "class_definition"):
            if n.type in LOOPS and child == n.child_by_field_name("body"):
                return True
            child, n = n, n.parent
        return False

    def nodes(self, *types: str) -> Iterator[Node]:
        return (n for n in self.targets if n.type in types)

    def replace(self, node: Node, new: str, family: str, weight: float = 1.0) -> Mutant:
        """Put `new` in place of the node: the most common shape of mutant."""
        old = self.file.text(node)
        desc = f"replace `{short(old, 32)}` with `{short(new, 32)}` in `{self.context}`"
        return Mutant(family, ((node.start_byte, node.end_byte, new),), desc, weight)
