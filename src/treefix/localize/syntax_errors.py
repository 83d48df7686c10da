"""Syntax signal: where a file that does not compile is broken.

Python's own error line is the best guess (1.0); for brackets left open it also names (or we find)
the opener, which is usually the line to fix. tree-sitter's MISSING (0.95) and ERROR (0.9) nodes
add its view of the damage (outermost ERROR only), and the lines around each primary line get a
little (0.6 before, 0.5 after): "expected ':'" and "invalid syntax" often point one line off.
For an unclosed bracket, the last line indented under the opener gets 0.8: the closer goes there.
Lines are reported as is, not mapped to statements: in a broken tree statement boundaries lie.
"""

from __future__ import annotations

import io
import re
import tokenize

from treefix.localize.statements import FileIndex

_OPENER_LINE = re.compile(r"\bon line (\d+)")
_UNCLOSED = ("never closed", "unexpected eof", "eof while", "eof in multi-line")
_OPEN, _CLOSE = "([{", ")]}"


def _compile_error(source: bytes) -> tuple[int | None, str]:
    try:
        compile(source, "<localize>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno, exc.msg or ""
    except ValueError as exc:  # null bytes: no line to point at
        return None, str(exc)
    return None, ""


def _unclosed_openers(source: bytes) -> list[int]:
    """Lines of brackets still open where tokenizing stops (older Pythons only say "EOF")."""
    stack: list[int] = []
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type != tokenize.OP:
                continue
            if tok.string in _OPEN:
                stack.append(tok.start[0])
            elif tok.string in _CLOSE and stack:
                stack.pop()
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass  # the point where it breaks is exactly what we wanted to reach
    return stack


def _neighbours(index: FileIndex, line: int) -> tuple[int | None, int | None]:
    """The nearest non-blank lines before and after `line`."""
    lines = index.source.split(b"\n")
    before = next((n for n in range(line - 1, 0, -1) if lines[n - 1].strip()), None)
    after = next((n for n in range(line + 1, len(lines) + 1) if lines[n - 1].strip()), None)
    return before, after


def _bracket_tail(index: FileIndex, opener: int) -> int | None:
    """The last line indented deeper than an unclosed opener's line: where the closer belongs."""
    lines = index.source.split(b"\n")
    if not 1 <= opener <= len(lines):
        return None

    def indent(text: bytes) -> int:
        return len(text) - len(text.lstrip())

    base, tail = indent(lines[opener - 1]), None
    for n in range(opener + 1, len(lines) + 1):
        text = lines[n - 1]
        if not text.strip():
            continue
        if indent(text) <= base:
            break
        tail = n
    return tail


def syntax_lines(index: FileIndex) -> dict[int, float]:
    """1-based line -> score for a file that does not compile; {} when it does."""
    if not index.broken:
        return {}
    scores: dict[int, float] = {}

    def put(line: int | None, score: float) -> None:
        if line is not None and 1 <= line <= index.line_count:
            scores[line] = max(scores.get(line, 0.0), score)

    lineno, message = _compile_error(index.source)
    if lineno is not None:
        lineno = min(max(lineno, 1), index.line_count)  # EOF errors may point past the end
    primary = [lineno] if lineno is not None else []
    primary += [int(m) for m in _OPENER_LINE.findall(message)]
    if any(marker in message.lower() for marker in _UNCLOSED):
        primary += _unclosed_openers(index.source)
    for line in primary:
        put(line, 1.0)
        before, after = _neighbours(index, line)
        put(before, 0.6)
        put(after, 0.5)
    if any(marker in message.lower() for marker in _UNCLOSED):
        for opener in primary:
            put(_bracket_tail(index, opener), 0.8)
    stack = [index.tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            put(node.start_point[0] + 1, 0.95)
        elif node.is_error:
            put(node.start_point[0] + 1, 0.9)
            continue  # ERRORs nested in an ERROR are the parser flailing, not new evidence
        stack.extend(c for c in node.children if c.has_error)  # has_error covers MISSING too
    return scores
