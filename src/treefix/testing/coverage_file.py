"""Reading the plugin's per-test coverage back: {test: {path: [lines]}}.

The plugin streams coverage.jsonl (support/treefix_coverage_shape.py says its lines): one line
per finished test, so a run killed or cut by the size limit still gives the coverage of every
test whose line is whole. The single-JSON coverage.json of earlier plugins (its compact form,
"treefix-coverage-2", or the plain mapping) is still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

STREAM_FORMAT = "treefix-coverage-3"
FALLBACK = "localisation falls back to traceback frames, guard tests are chosen by name"


def coverage_text(artifacts: Mapping[str, str]) -> str | None:
    """The run's coverage file among its results (streamed first), None when it wrote none."""
    for name in ("coverage.jsonl", "coverage.json"):
        if name in artifacts:
            return artifacts[name]
    return None


def _lines(spans: Iterable) -> Iterable[int]:
    for s in spans:
        if isinstance(s, int):
            yield s
        else:
            yield from range(s[0], s[1] + 1)


def _stream(text: str, limit: int) -> tuple[dict | None, str]:
    files: dict[int, str] = {}
    tests: dict[str, dict[str, set[int]]] = {}
    modules: dict[str, dict[str, set[int]]] = {}
    broken = 0
    for raw in text.splitlines()[1:]:
        try:
            kind, key, value = json.loads(raw)
            if kind == "f":
                files[int(key)] = str(value)
                continue
            into = tests if kind == "t" else modules if kind == "m" else None
            if into is None:
                continue
            entry = into.setdefault(key, {})
            for index, spans in value.items():
                entry.setdefault(files[int(index)], set()).update(_lines(spans))
        except (ValueError, TypeError, KeyError, IndexError):
            broken += 1  # the line a kill or the size limit cut: the ones before it stand
    for nodeid, entry in tests.items():
        for path, lines in modules.get(nodeid.split("::", 1)[0], {}).items():
            entry.setdefault(path, set()).update(lines)
    out = {n: {p: sorted(ls) for p, ls in e.items()} for n, e in tests.items() if e}
    note = ""
    if len(text) >= limit:
        note = (
            f"per-test coverage was cut at {limit >> 20} MiB: the {len(tests)} tests written "
            "before the cut keep theirs, the rest have none (left out of the spectrum)"
        )
    elif broken:
        note = f"{broken} line(s) of the per-test coverage were unreadable (a run killed while writing)"
    return out, note


def parse_coverage(text: str, limit: int) -> tuple[dict | None, str]:
    """{test: {path: [lines]}} from the plugin's coverage file, and what was lost when it could
    not be read whole ("" when nothing was)."""
    first = text.split("\n", 1)[0]
    if STREAM_FORMAT in first:
        return _stream(text, limit)
    if len(text) >= limit:
        return None, f"per-test coverage was cut at {limit >> 20} MiB: {FALLBACK}"
    try:
        data = json.loads(text)
    except ValueError:
        return (
            None,
            f"per-test coverage could not be read (a run killed while writing it): {FALLBACK}",
        )
    if not isinstance(data, dict):
        return None, f"per-test coverage was not in a known form: {FALLBACK}"
    if data.get("format") != "treefix-coverage-2":
        return data, ""
    files = data.get("files") or []
    out: dict = {}
    for nodeid, entry in (data.get("tests") or {}).items():
        out[nodeid] = {
            files[int(i)]: [n for lo, hi in spans for n in range(lo, hi + 1)]
            for i, spans in entry.items()
        }
    return out, ""
