"""The order among statements of equal score (ranker.py's tie-break), most likely first:

1. frame distance: 0 in a function a failing test's traceback passes through, 1 in a file it
   passes through, else 2 - a wrong value is often built near where it fails: in the caller, or
   beside it in the module;
2. plumbing last (kinds.py): `pass`, `x = []`, `self.x = x` have nothing to get wrong;
3. closeness, higher first: the function's words against the failing tests' files (lexical.py)
   plus the statement's own words against the failing test functions' and their failures'
   (focus.py), so the words pick the function and, within it and among functions they cannot
   tell apart, the statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from treefix.code.syntax import enclosing_function
from treefix.localize.focus import statement_text
from treefix.localize.kinds import is_plumbing
from treefix.localize.lexical import closeness, tokens

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.localize.statements import FileIndex


@dataclass
class TieBreak:
    index: Callable[[str], FileIndex | None]
    frame_files: set[str]
    frame_scopes: set[tuple[str, int]]  # (path, start byte of the function)
    tests: frozenset[str]  # the failing tests' files' words and names (lexical.test_tokens)
    focus: frozenset[str]  # the failing test functions' and failures' words (focus.py)
    _closeness: dict[tuple[str, int], float] = field(default_factory=dict)

    def key(self, path: str, line: int) -> tuple[int, bool, float]:
        index = self.index(path)
        node = index.statement(line) if index is not None else None
        if node is None:
            return (2, False, 0.0)
        return (
            self.frame_distance(path, node),
            is_plumbing(node),
            -self.function_closeness(path, node) - self.statement_closeness(node),
        )

    def frame_distance(self, path: str, node: Node) -> int:
        if path not in self.frame_files:
            return 2
        scope = enclosing_function(node)
        return 0 if scope is not None and (path, scope.start_byte) in self.frame_scopes else 1

    def function_closeness(self, path: str, node: Node) -> float:
        if not self.tests:
            return 0.0
        scope = enclosing_function(node) or node
        key = (path, scope.start_byte)
        if key not in self._closeness:
            self._closeness[key] = closeness(tokens(scope.text or b""), self.tests)
        return self._closeness[key]

    def statement_closeness(self, node: Node) -> float:
        return closeness(tokens(statement_text(node)), self.focus) if self.focus else 0.0
