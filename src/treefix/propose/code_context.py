"""The code a model is shown: the enclosing function or class of each suspicious line, numbered,
with the suspicious lines marked, within a line budget (most suspicious first); beside them the
module-level and class-level assignments those lines read (a wrong default or constant runs at
import, never under the failing test, so the spectrum alone never shows it), then the functions
given as context only (callees, context/callees.py), whole up to MAX_CONTEXT_SNIPPET lines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from treefix.code.syntax import parse
from treefix.code.testfiles import is_test_file
from treefix.types import ProgramState, Suspicion

MAX_CONTEXT_LINES = 400
MAX_FILES = 4  # files of ranked code
MAX_CONTEXT_FILES = 4  # more files for context-only code (callees), within the line budget
MAX_EXTRA = 10  # context-only spans per file
MAX_SNIPPET = 120  # lines of one enclosing definition shown; longer ones are windowed
MAX_CONTEXT_SNIPPET = 200  # ... of a function shown as context only (a callee), when it fits
CONTEXT_ONLY = "called by the failing test"  # a reason shown as context, never marked >>
MAX_GLOBAL = 5  # lines of one module-level assignment shown beside the code that reads it
_NAME = re.compile(r"[A-Za-z_]\w*")


def numbered(lines: list[str], lo: int, hi: int, marks: set[int]) -> str:
    width = len(str(hi))
    return "\n".join(
        f"{'>>' if i in marks else '  '}{i:>{width}} | {lines[i - 1]}" for i in range(lo, hi + 1)
    )


def code_context(
    state: ProgramState,
    focus: Sequence[Suspicion],
    max_lines: int = MAX_CONTEXT_LINES,
    top: int | None = None,
) -> str:
    """The enclosing function or class of each suspicious line, grouped by file, with numbers.
    `top` keeps only the most suspicious lines; `max_lines` bounds the lines shown, and a
    definition longer than what is left is shown as a window around its most suspicious line."""
    by_file: dict[str, list[Suspicion]] = {}
    ranked = [
        s
        for s in sorted(focus, key=lambda s: -s.score)
        if s.path.endswith(".py") and not is_test_file(s.path)
    ]
    n_ranked = n_context = 0
    for s in ranked[:top] if top else ranked:
        if s.path not in by_file:
            context_only = CONTEXT_ONLY in s.reasons
            if n_context >= MAX_CONTEXT_FILES if context_only else n_ranked >= MAX_FILES:
                continue
            n_context, n_ranked = n_context + context_only, n_ranked + (not context_only)
        by_file.setdefault(s.path, []).append(s)
    # the ranked code takes the budget first; what only gives context (the module-level names it
    # reads, the failing lines' callees) gets what is left, whole spans only
    files: dict[str, tuple[list[str], set[int], list[tuple[int, int]]]] = {}
    chosen: dict[str, list[tuple[int, int]]] = {}
    wanted_globals: list[tuple[str, int, int]] = []
    budget = max_lines
    for path, sus in by_file.items():
        try:
            source = state.read(path)
        except KeyError:
            continue
        lines = source.decode("utf-8", "replace").splitlines()
        tree = parse(source)
        ranked_here = [s for s in sus if CONTEXT_ONLY not in s.reasons][:10]
        marks = {s.line for s in ranked_here}
        spans = [_enclosing(tree, s.line, lines) for s in ranked_here]
        # a called function is read whole when it fits (the bug may sit deep in a long one)
        extra = [
            _enclosing(tree, s.line, lines, MAX_CONTEXT_SNIPPET)
            for s in sus
            if CONTEXT_ONLY in s.reasons
        ][:MAX_EXTRA]
        wanted_globals += [(path, *g) for g in _merge(_globals_read(tree, lines, spans + extra))]
        wanted_globals += [(path, *c) for c in _classes_of(tree, [s.line for s in ranked_here])]
        files[path] = (lines, marks, extra)
        chosen[path] = []
        for lo, hi in _merge(spans):
            if budget <= 0:
                break
            if hi - lo + 1 > budget:  # centre what fits on the most suspicious line inside
                inside = [s.line for s in sus if lo <= s.line <= hi] or [lo]
                lo = max(lo, min(inside[0] - budget // 2, hi - budget + 1))
                hi = lo + budget - 1
            budget -= hi - lo + 1
            chosen[path].append((lo, hi))
    # then the module-level names the shown code reads (small), then the callees in the order
    # callees.py ranked them, whole spans only, counting only the lines not shown yet
    wanted = list(wanted_globals)
    rank = {(s.path, s.line): i for i, s in reversed(list(enumerate(ranked)))}
    callee_spans: list[tuple[int, str, int, int]] = []
    for path, (_, _, extra) in files.items():
        line_of = [s.line for s in by_file[path] if CONTEXT_ONLY in s.reasons][:MAX_EXTRA]
        callee_spans += [
            (rank[(path, ln)], path, lo, hi) for (lo, hi), ln in zip(extra, line_of, strict=True)
        ]
    wanted += [(path, lo, hi) for _, path, lo, hi in sorted(callee_spans)]
    for path, lo, hi in wanted:
        new = sum(1 for i in range(lo, hi + 1) if not any(a <= i <= b for a, b in chosen[path]))
        if 0 < new <= budget:
            budget -= new
            chosen[path].append((lo, hi))
    parts: list[str] = []
    for path, (lines, marks, _) in files.items():
        chunks = [numbered(lines, lo, hi, marks) for lo, hi in _merge(chosen[path])]
        if chunks:
            parts.append(f"### {path}\n```python\n" + "\n   ...\n".join(chunks) + "\n```")
    return "\n\n".join(parts) or "(no suspicious source lines were localised)"


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def _globals_read(tree, lines: list[str], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of the module-level and class-level `NAME = ...` statements whose NAME the shown
    spans mention."""
    used = {m for lo, hi in spans for ln in lines[lo - 1 : hi] for m in _NAME.findall(ln)}
    out = []
    for node in [*tree.root_node.children, *_class_body_statements(tree)]:
        if node.type != "expression_statement" or not node.named_children:
            continue
        stmt = node.named_children[0]
        left = stmt.child_by_field_name("left") if stmt.type == "assignment" else None
        if left is None or left.type != "identifier" or left.text.decode() not in used:
            continue
        lo, hi = node.start_point[0] + 1, node.end_point[0] + 1
        if hi - lo < MAX_GLOBAL and not any(a <= lo <= b for a, b in spans):
            out.append((lo, hi))
    return out


def _classes_of(tree, marks: list[int]) -> list[tuple[int, int]]:
    """For ranked lines inside methods: the class line and its `__init__` (a method is read
    with the constructor that sets up what it uses: a missing `super().__init__()` call)."""
    out: list[tuple[int, int]] = []
    for line in marks:
        node = tree.root_node.descendant_for_point_range((line - 1, 0), (line - 1, 0))
        while node is not None and node.type != "class_definition":
            node = node.parent
        if node is None:
            continue
        head = (node.start_point[0] + 1, node.start_point[0] + 1)
        body = node.child_by_field_name("body")
        for child in body.children if body is not None else []:
            fn = (
                child.child_by_field_name("definition")
                if child.type == "decorated_definition"
                else child
            )
            name = fn.child_by_field_name("name") if fn is not None else None
            if fn is not None and fn.type == "function_definition" and name is not None:
                if name.text != b"__init__":
                    continue
                lo, hi = child.start_point[0] + 1, child.end_point[0] + 1
                if hi - lo < MAX_SNIPPET and not lo <= line <= hi:
                    out += [head, (lo, hi)]
                break
    return sorted(set(out))


def _class_body_statements(tree) -> list:
    """The statements directly in the bodies of module-level classes: class attributes such as
    a config class's `disable_failures = IntParameter(default=None)`, read elsewhere as
    `self.disable_failures` (a wrong default never runs under the failing test either)."""
    out: list[Any] = []
    for node in tree.root_node.children:
        if node.type == "decorated_definition":
            node = node.child_by_field_name("definition") or node
        body = node.child_by_field_name("body") if node.type == "class_definition" else None
        out += body.children if body is not None else []
    return out


def _enclosing(tree, line: int, lines: list[str], limit: int = MAX_SNIPPET) -> tuple[int, int]:
    """The innermost def/class around `line` (short enough), found by a point lookup in the
    tree rather than a walk over it: long files cost no more than short ones."""
    n_lines = len(lines)
    text = lines[line - 1] if 0 < line <= n_lines else ""
    col = len(text) - len(text.lstrip())
    node = tree.root_node.descendant_for_point_range((line - 1, col), (line - 1, col))
    best = None
    while node is not None:
        if node.type in ("function_definition", "class_definition", "decorated_definition"):
            best = node
            if node.end_point[0] - node.start_point[0] + 1 <= limit:
                break
        node = node.parent
    if best is None or best.end_point[0] - best.start_point[0] + 1 > limit:
        return max(1, line - 15), min(n_lines, line + 15)
    return best.start_point[0] + 1, min(n_lines, best.end_point[0] + 1)
