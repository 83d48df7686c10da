"""Normalise Python source (parse + unparse, drops comments and layout) so equal programs dedupe."""

from __future__ import annotations

import ast


def normalize_source(source: bytes) -> bytes:
    try:
        return ast.unparse(ast.parse(source)).encode()
    except (SyntaxError, ValueError, RecursionError):
        return source
