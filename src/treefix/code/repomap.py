"""A compact repository map: each module with its top-level classes and functions (and the
methods of its classes), within a character budget. A plain tag listing for prompts that must
show the shape of a repository the model cannot see whole (issue mode's reproduction prompt)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from treefix.code.testfiles import is_test_file

_TAG = re.compile(rb"^( {0,4})(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)", re.M)


def tags(source: bytes) -> list[str]:
    """`class A`, `A.method`, `function` for the module's top-level code and its classes."""
    out: list[str] = []
    owner = ""
    for m in _TAG.finditer(source):
        indent, kind, name = m.group(1), m.group(2).decode(), m.group(3).decode()
        if not indent:
            owner = name if kind == "class" else ""
            out.append(f"class {name}" if kind == "class" else name)
        elif owner and kind == "def" and not name.startswith("__"):
            out.append(f"{owner}.{name}")
    return out


def repo_map(sources: Mapping[str, bytes], budget: int = 6000) -> str:
    """Code modules first (tests after), one line each, cut at `budget` characters."""
    order = sorted(sources, key=lambda p: (is_test_file(p), p.count("/"), p))
    lines: list[str] = []
    used = 0
    for path in order:
        names = tags(sources[path])
        line = f"{path}: {', '.join(names)}" if names else path
        if used + len(line) > budget:
            lines.append(f"[{len(order) - len(lines)} more files]")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)
