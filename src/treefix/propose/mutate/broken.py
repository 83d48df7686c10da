"""A file that does not compile: where to look, and checking line repairs without paying a
whole-file compile for each of them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from treefix.propose.mutate.repair import syntax_repairs
from treefix.propose.mutate.site import Mutant
from treefix.types import Edit, apply_edits

if TYPE_CHECKING:
    from tree_sitter import Tree

MAX_HINTS = 6
SECOND_ROUND = 4  # first-step repairs explored further when a file has two errors
_CONTINUATIONS = (b"else", b"elif", b"except", b"finally", b")", b"]", b"}")


def compile_error(source: bytes) -> tuple[int, ...] | None:
    """None when the source compiles, else the (start, end) lines Python blames (maybe empty)."""
    try:
        compile(source, "<candidate>", "exec", dont_inherit=True)
    except SyntaxError as e:
        return tuple(n for n in (e.lineno, e.end_lineno) if n)
    except ValueError:
        return ()
    return None


def error_lines(tree: Tree) -> list[int]:
    """1-based lines of tree-sitter's ERROR and MISSING nodes (a hint: it recovers differently)."""
    lines: list[int] = []
    root = tree.root_node
    stack = [root] if root.has_error else []
    while stack and len(lines) < MAX_HINTS:
        n = stack.pop()
        if n.is_error or n.is_missing:
            lines.append(n.start_point[0] + 1)
        stack.extend(c for c in reversed(n.children) if c.has_error or c.is_missing)
    return list(dict.fromkeys(lines))


def apply(source: bytes, m: Mutant) -> bytes:
    return apply_edits(source, (Edit("", s, e, r) for s, e, r in m.edits))


def line_diff(old: bytes, new: bytes) -> tuple[int, int, str]:
    """One edit turning `old` into `new`, widened to whole lines (never splits a character)."""
    n = min(len(old), len(new))
    p = 0
    while p < n and old[p] == new[p]:
        p += 1
    q = 0
    while q < n - p and old[-1 - q] == new[-1 - q]:
        q += 1
    start = old.rfind(b"\n", 0, p) + 1
    end = old.find(b"\n", len(old) - q)
    end = len(old) if end < 0 else end
    tail = len(old) - end
    return start, end, new[start : len(new) - tail].decode("utf-8", "replace")


@dataclass
class Chunks:
    """Top-level statements of a broken file, told apart by indentation alone.

    A repair that does not make its own top-level statement compile cannot make the file
    compile, and compiling the statement costs a fraction of compiling the file.
    """

    source: bytes
    lines: list[bytes] = field(init=False)
    starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.source.split(b"\n")
        self.starts = [0] + [m.end() for m in re.finditer(rb"\n", self.source)]

    def _top(self, row: int) -> bool:
        text = self.lines[row]
        return text[:1] not in (b"", b" ", b"\t", b"#", b"\r") and not text.startswith(
            _CONTINUATIONS
        )

    def bounds(self, row: int) -> tuple[int, int, int]:
        """(first byte, end byte, first row) of the top-level statement holding `row`."""
        first = row
        while first > 0 and not self._top(first):
            first -= 1
        while first > 0 and self.lines[first - 1].startswith(b"@"):
            first -= 1
        end = row + 1
        # A decorator belongs with the definition after it.
        while end < len(self.lines) and (
            not self._top(end) or self.lines[end - 1].lstrip().startswith(b"@")
        ):
            end += 1
        hi = self.starts[end] if end < len(self.starts) else len(self.source)
        return self.starts[first], hi, first

    def error(self, m: Mutant) -> tuple[int, ...] | None:
        """The compile error (file lines, roughly) of the mutated statement, None if it compiles."""
        start = min(s for s, _, _ in m.edits)
        row = self.source.count(b"\n", 0, start)
        lo, hi, first = self.bounds(row)
        if any(s < lo or e > hi for s, e, _ in m.edits):
            return compile_error(apply(self.source, m))
        chunk = apply_edits(
            self.source[lo:hi], (Edit("", s - lo, e - lo, r) for s, e, r in m.edits)
        )
        err = compile_error(chunk)
        return None if err is None else tuple(first + n for n in err)


@dataclass
class Repair:
    mutant: Mutant
    new: bytes  # the whole repaired file


def repairs(
    source: bytes, focus: list[tuple[int, float]], unit: str, tree: Tree | None = None
) -> list[Repair]:
    """Line repairs that make the file compile; pairs of them when it takes two."""
    err = compile_error(source) or ()
    hints = error_lines(tree) if tree is not None else []
    before = max(err, default=0)
    mutants = list(syntax_repairs(source, focus, list(err), unit, hints))
    found, progress = _check(source, mutants, before, quick=True)
    if not found and not progress:  # the indentation heuristic may have cut a statement wrong
        found, progress = _check(source, mutants, before, quick=False)
    if found:
        return found
    pairs: list[Repair] = []
    for first in progress:
        later = (compile_error(first.new) or (before + 1,))[0]
        inner = list(syntax_repairs(first.new, [], [later], unit))
        for second in _check(first.new, inner, later, quick=True)[0]:
            both = Mutant(
                "syntax",
                (line_diff(source, second.new),),
                f"{first.mutant.description}; {second.mutant.description}",
                first.mutant.weight * second.mutant.weight,
                line=first.mutant.line,
            )
            pairs.append(Repair(both, second.new))
    return pairs


def _check(
    source: bytes, mutants: list[Mutant], before: int, quick: bool
) -> tuple[list[Repair], list[Repair]]:
    """(repairs that compile, repairs that moved the first error further down)."""
    chunks = Chunks(source) if quick else None
    found: list[Repair] = []
    progress: list[Repair] = []
    tried: set[bytes] = set()
    for m in mutants:
        new = apply(source, m)
        if new in tried:
            continue
        tried.add(new)
        err = chunks.error(m) if chunks is not None else None
        if err is None:
            err = compile_error(new)
            if err is None:
                found.append(Repair(m, new))
                continue
        # This error fixed, the next one further down: worth a second step.
        if err and min(err) > before and len(progress) < SECOND_ROUND:
            progress.append(Repair(m, new))
    return found, progress
