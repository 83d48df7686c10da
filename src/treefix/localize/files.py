"""How raw paths from tracebacks map onto the project."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable


class PathResolver:
    """Maps a path as a traceback prints it (absolute, ./-prefixed, bare basename) to a project path."""

    def __init__(self, known: Iterable[str]):
        self._known = frozenset(known)
        self._by_base: dict[str, list[str]] = {}
        for p in sorted(self._known):
            self._by_base.setdefault(posixpath.basename(p), []).append(p)
        self._cache: dict[str, str | None] = {}

    def resolve(self, raw: object) -> str | None:
        if not isinstance(raw, str) or not raw:
            return None
        if raw in self._cache:
            return self._cache[raw]
        found = self._lookup(raw)
        self._cache[raw] = found
        return found

    def _lookup(self, raw: str) -> str | None:
        path = raw.strip().replace("\\", "/")
        while path.startswith("./"):
            path = path[2:]
        if path in self._known:
            return path
        candidates = self._by_base.get(posixpath.basename(path), [])
        if "/" not in path:
            # A bare basename (SyntaxError's "(mod.py, line 3)") only counts when unambiguous.
            return candidates[0] if len(candidates) == 1 else None
        # Absolute or sandbox-rooted path: the longest project path it ends with.
        matches = [c for c in candidates if path.endswith("/" + c)]
        return max(matches, key=len) if matches else None
