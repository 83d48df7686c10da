"""Traceback signal: frames of the failing tests, scored innermost first.

The innermost project frame outside test files is where the exception surfaced, so it scores 1.0;
each frame further out is a call site one step removed and scores DECAY times the one inside it.
When the runner gave no structured frames (collection errors), they are read back from the text
of the message and the run output: Python's `File "pkg/mod.py", line 7` and pytest's
`pkg/mod.py:7: in func` / `pkg/mod.py:7: IndexError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from treefix.code.testfiles import is_test_file
from treefix.localize.files import PathResolver
from treefix.types import TestOutcome

DECAY = 0.8

_PY_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_PYTEST_FRAME = re.compile(r"^(?:E\s+)?([^\s:\"'()]+\.py):(\d+):(?:\s|$)")
_SYNTAX_LOC = re.compile(r"\(([^\s(),\"']+\.py), line (\d+)\)")  # str(SyntaxError)
_SECTION = re.compile(r"^([=_-])\1{2,} (.+?) \1{2,}$")
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
# pytest-timeout says "Failed: Timeout >5.0s"; signal-based runners raise TimeoutError & co.
_TIMEOUT = re.compile(r"^(?:Failed:\s*)?Timeout\b|\btimed out\b", re.IGNORECASE)


@dataclass(frozen=True)
class TracebackBlock:
    """One traceback found in text: raw paths as printed, outermost first."""

    header: str  # pytest section title above it ("test_foo", "ERROR collecting x.py"), or ""
    frames: tuple[tuple[str, int], ...]


def parse_traceback_text(text: str) -> list[TracebackBlock]:
    """Every traceback in `text`, one block per pytest section / chained exception."""
    blocks: list[TracebackBlock] = []
    header = ""
    frames: list[tuple[str, int]] = []
    skipping = False  # captured output and warnings hold frames that explain nothing

    def flush() -> None:
        if frames:
            blocks.append(TracebackBlock(header, tuple(frames)))
            frames.clear()

    for raw_line in text.splitlines():
        line = raw_line.strip()
        section = _SECTION.match(line)
        if section:
            flush()
            title = section.group(2).strip()
            skipping = section.group(1) == "-" or "warnings summary" in title.lower()
            if section.group(1) == "_":
                header = title
            elif section.group(1) == "=":
                header = ""
            continue
        if skipping:
            continue
        if line.startswith("Traceback (most recent call last)") or line.startswith(_CHAINED):
            flush()
            continue
        for pattern in (_PY_FRAME, _PYTEST_FRAME, _SYNTAX_LOC):
            m = pattern.search(line) if pattern is not _PYTEST_FRAME else pattern.match(line)
            if m:
                frame = (m.group(1), int(m.group(2)))
                if not frames or frames[-1] != frame:  # pytest repeats the File line under E
                    frames.append(frame)
                break
    flush()
    return blocks


def blocks_for(nodeid: str, blocks: Sequence[TracebackBlock]) -> list[TracebackBlock]:
    """The blocks pytest printed under this test's section; all of them when none is labelled so."""
    file_part, _, rest = nodeid.partition("::")
    name = rest.replace("::", ".")

    def matches(header: str) -> bool:
        if not header:
            return False
        if name:
            return header.split()[-1] == name
        return header.endswith(file_part)

    mine = [b for b in blocks if matches(b.header)]
    return mine or list(blocks)


def is_timeout(outcome: TestOutcome) -> bool:
    message = outcome.message if isinstance(outcome.message, str) else ""
    exc = message.split(":", 1)[0].strip().rsplit(".", 1)[-1].lower()
    return "timeout" in exc or exc == "keyboardinterrupt" or bool(_TIMEOUT.search(message))


def clean_frames(frames: Iterable[object], resolver: PathResolver) -> list[tuple[str, int]]:
    """Project frames outside test files, outermost first; malformed entries dropped."""
    out: list[tuple[str, int]] = []
    for frame in frames:
        if not isinstance(frame, (tuple, list)) or len(frame) != 2:
            continue
        raw, line = frame
        if isinstance(line, bool) or not isinstance(line, int) or line < 1:
            continue
        path = resolver.resolve(raw)
        if path is None or is_test_file(path):
            continue
        out.append((path, line))
    return out


def chains_for(
    outcome: TestOutcome, output_blocks: Sequence[TracebackBlock], resolver: PathResolver
) -> list[list[tuple[str, int]]]:
    """Project frame chains (outermost first) explaining one failed test."""
    if outcome.frames:
        chain = clean_frames(outcome.frames, resolver)
        return [chain] if chain else []
    # Collection errors and the like: fall back to the text the runner kept.
    blocks = parse_traceback_text(outcome.message or "") + blocks_for(outcome.nodeid, output_blocks)
    chains = [clean_frames(b.frames, resolver) for b in blocks]
    return [c for c in chains if c]


def score_chain(chain: Sequence[tuple[str, int]]) -> list[tuple[str, int, float]]:
    """(path, line, score) innermost first: 1.0, DECAY, DECAY**2..."""
    return [(path, line, DECAY**depth) for depth, (path, line) in enumerate(reversed(chain))]
