"""Search/replace blocks in a model's answer, turned into byte-offset edits of the project.

A block must match its file exactly once (exactly, then once more ignoring surrounding
whitespace, the replacement re-indented); a block for an unknown file or a test file, or two
overlapping blocks, reject the whole answer with the reason (`Rejected`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from treefix.code.testfiles import is_test_file
from treefix.types import Edit, ProgramState

_BLOCK = re.compile(
    r"<{5,9} ?SEARCH[ \t]*(?P<path>[^\n]*)\n(?P<old>.*?)\n?={5,9}[ \t]*\n(?P<new>.*?)\n?>{5,9} ?REPLACE",
    re.S,
)
OPEN = re.compile(r"<{5,9} ?SEARCH")
_EXPLANATION = re.compile(r"EXPLANATION:\s*(?P<text>.+?)(?=\n\s*<{5,9}|\Z)", re.S)


class Rejected(ValueError):
    """One answer refused whole; the reason is quoted in the next prompt."""


@dataclass
class Block:
    path: str
    old: str
    new: str


def parse_response(text: str) -> tuple[str, list[Block]]:
    m = _EXPLANATION.search(text)
    explanation = " ".join(m.group("text").split()) if m else ""
    blocks = []
    for b in _BLOCK.finditer(text):
        path = b.group("path").strip().strip("`").strip()
        blocks.append(Block(path, b.group("old"), b.group("new")))
    return explanation[:600], blocks


def _match_exact(source: str, old: str) -> tuple[int, int] | None:
    if not old:
        return None
    first = source.find(old)
    if first < 0 or source.find(old, first + 1) >= 0:
        return None
    return first, first + len(old)


def _match_loose(source: str, old: str, new: str) -> tuple[int, int, str] | None:
    """Line-wise match ignoring surrounding whitespace; the replacement is re-indented by the
    difference in indentation between the file and the block."""
    want = [ln.strip() for ln in old.splitlines()]
    while want and not want[-1]:
        want.pop()
    while want and not want[0]:
        want.pop(0)
    if not want:
        return None
    lines = source.splitlines(keepends=True)
    stripped = [ln.strip() for ln in lines]
    hits = [i for i in range(len(lines) - len(want) + 1) if stripped[i : i + len(want)] == want]
    if len(hits) != 1:
        return None
    i = hits[0]
    start = sum(len(ln) for ln in lines[:i])
    end = start + sum(len(ln) for ln in lines[i : i + len(want)])
    file_indent = _indent(lines[i])
    first_old = next(ln for ln in old.splitlines() if ln.strip())
    block_indent = _indent(first_old)
    out = []
    for ln in new.splitlines():
        if ln.strip() and ln.startswith(block_indent):
            ln = file_indent + ln[len(block_indent) :]
        elif ln.strip():
            ln = file_indent + ln.lstrip()
        out.append(ln)
    replacement = "\n".join(out)
    if lines[i + len(want) - 1].endswith("\n"):
        replacement += "\n"
    return start, end, replacement


def blocks_to_edits(state: ProgramState, blocks: Sequence[Block]) -> list[Edit]:
    """Byte-offset edits of one response, or Rejected with the reason."""
    known = set(state.paths())
    per_file: dict[str, list[tuple[int, int, str]]] = {}
    for n, b in enumerate(blocks, 1):
        path = b.path.removeprefix("./")
        if path not in known:
            raise Rejected(f"block {n}: unknown file {b.path!r}")
        if is_test_file(path):
            raise Rejected(f"block {n}: {path} is a test file; tests must not be edited")
        text = state.read(path).decode("utf-8", "surrogateescape")
        hit = _match_exact(text, b.old)
        if hit is not None:
            span = (hit[0], hit[1], b.new)
        else:
            loose = _match_loose(text, b.old, b.new)
            if loose is None:
                raise Rejected(f"block {n}: SEARCH text does not match exactly one place in {path}")
            span = loose
        per_file.setdefault(path, []).append(span)
    edits: list[Edit] = []
    for path, spans in per_file.items():
        text = state.read(path).decode("utf-8", "surrogateescape")
        spans.sort()
        for (_, e1, _), (s2, _, _) in zip(spans, spans[1:], strict=False):
            if s2 < e1:
                raise Rejected(f"two blocks overlap in {path}")
        for s, e, rep in spans:
            # character offsets -> byte offsets
            bs = len(text[:s].encode("utf-8", "surrogateescape"))
            be = bs + len(text[s:e].encode("utf-8", "surrogateescape"))
            edits.append(Edit(path, bs, be, rep))
    return edits


def _indent(line: str) -> str:
    """The line's leading spaces and tabs."""
    return line[: len(line) - len(line.lstrip(" \t"))]
