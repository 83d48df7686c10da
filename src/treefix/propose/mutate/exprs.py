"""Precedence-aware text for rewritten expressions: when a piece needs parentheses."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

# Expressions that bind tighter than any operator: safe anywhere without parentheses.
ATOMIC = frozenset(
    {
        "identifier",
        "integer",
        "float",
        "string",
        "concatenated_string",
        "true",
        "false",
        "none",
        "call",
        "attribute",
        "subscript",
        "parenthesized_expression",
        "list",
        "tuple",
        "dictionary",
        "set",
        "list_comprehension",
        "dictionary_comprehension",
        "set_comprehension",
        "generator_expression",
        "ellipsis",
        "await",
    }
)
SINGLETONS = frozenset({"none", "true", "false"})
_ADDITIVE_OK = frozenset({"+", "-", "*", "/", "//", "%", "@", "**"})


def operator_token(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def atom(file: SourceFile, node: Node) -> str:
    """The node's text, parenthesised unless it is atomic."""
    text = file.text(node)
    return text if node.type in ATOMIC else f"({text})"


def negated(file: SourceFile, node: Node) -> str:
    """`not c`, or the argument when `c` already is a `not`."""
    if node.type == "not_operator":
        arg = node.child_by_field_name("argument")
        if arg is not None:
            return file.text(arg)
    if node.type in ATOMIC or node.type == "comparison_operator":
        return f"not {file.text(node)}"
    return f"not ({file.text(node)})"


def _int_value(text: str) -> int | None:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        return None


def shifted(file: SourceFile, node: Node, delta: int) -> str | None:
    """`node + delta` as a human would write it: literals folded, `n - 1` + 1 gives back `n`."""
    if node.type == "integer":
        value = _int_value(file.text(node))
        return None if value is None else str(value + delta)
    if node.type == "unary_operator" and operator_token(node) == "-":
        arg = node.child_by_field_name("argument")
        if arg is not None and arg.type == "integer":
            value = _int_value(file.text(arg))
            return None if value is None else str(-value + delta)
    if node.type == "binary_operator" and operator_token(node) in ("+", "-"):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None and right.type == "integer":
            k = _int_value(file.text(right))
            if k is not None:
                k = (k if operator_token(node) == "+" else -k) + delta
                base = file.text(left)
                if k == 0:
                    return base
                return f"{base} {'+' if k > 0 else '-'} {abs(k)}"
    text = file.text(node)
    safe = (
        node.type in ATOMIC
        or node.type == "unary_operator"
        or (node.type == "binary_operator" and operator_token(node) in _ADDITIVE_OK)
    )
    if not safe:
        text = f"({text})"
    return f"{text} {'+' if delta > 0 else '-'} {abs(delta)}"
