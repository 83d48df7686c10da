"""tree-sitter access for Python sources: one cached parser, statement lookup by line."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

SIMPLE_STATEMENTS = frozenset(
    {
        "expression_statement",
        "return_statement",
        "pass_statement",
        "break_statement",
        "continue_statement",
        "raise_statement",
        "assert_statement",
        "delete_statement",
        "global_statement",
        "nonlocal_statement",
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "print_statement",
        "exec_statement",
        "type_alias_statement",
    }
)
COMPOUND_STATEMENTS = frozenset(
    {
        "if_statement",
        "for_statement",
        "while_statement",
        "try_statement",
        "with_statement",
        "function_definition",
        "class_definition",
        "decorated_definition",
        "match_statement",
        "elif_clause",
        "else_clause",
        "except_clause",
        "finally_clause",
        "case_clause",
    }
)
STATEMENTS = SIMPLE_STATEMENTS | COMPOUND_STATEMENTS


@lru_cache(maxsize=1)
def parser() -> Parser:
    import tree_sitter
    import tree_sitter_python

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


def parse(source: bytes) -> Tree:
    return parser().parse(source)


def grammar_version() -> str:
    from importlib.metadata import version

    return version("tree-sitter-python")


def iter_nodes(node: Node) -> Iterator[Node]:
    """Pre-order walk without recursion (deep trees must not blow the stack)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def statement_at(tree: Tree, line: int) -> Node | None:
    """The outermost statement starting on 1-based `line`, else the innermost one covering it."""
    row = line - 1
    best: Node | None = None
    for n in iter_nodes(tree.root_node):
        if n.start_point[0] > row or n.end_point[0] < row:
            continue
        if n.type in STATEMENTS:
            if n.start_point[0] == row:
                return n
            best = n
    return best


def enclosing_function(node: Node) -> Node | None:
    n = node.parent
    while n is not None:
        if n.type == "function_definition":
            return n
        n = n.parent
    return None


def assignment_sides(stmt: Node) -> tuple[Node, Node] | None:
    """(left, right) of a statement that is one plain assignment `left = right`, else None."""
    if stmt.type != "expression_statement" or not stmt.named_children:
        return None
    expr = stmt.named_children[0]
    if expr.type != "assignment":
        return None
    left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
    return (left, right) if left is not None and right is not None else None


def has_syntax_error(source: bytes) -> bool:
    """Python's own parser is the judge: a candidate that does not compile is dropped."""
    try:
        compile(source, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return True
    return False
