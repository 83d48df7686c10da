"""treefix's own per-test line tracer, for projects whose interpreter has no coverage.py.

Runs inside the project's interpreter (Python 3.6 and up: keep the syntax that old; signatures
use typing's generics, annotations inside functions are never evaluated). Records, per
test, the lines executed in the project's own files: sys.monitoring on 3.12+ (each line reported
once per test, then disabled until the next test), sys.settrace before that (frames of files
outside the project are dropped at their call event, so library code costs one dict lookup per
call). The data has the shape coverage.py's contexts give: {nodeid: {path: [lines]}}.
"""

import os
import sys
import threading
from typing import Any, Set

_PRUNE = ("site-packages", "dist-packages")


class LineTracer:
    """start(nodeid) / stop() around each test; data() at the end."""

    name = "settrace"

    def __init__(self, root: str):
        self.root = root
        # code filename -> project-relative path, or None: not ours
        self._files: dict[str, str | None] = {}
        self._data: dict[str, dict[str, set[int]]] = {}  # nodeid -> {path: set(lines)}
        self._current: dict[str, set[int]] | None = None  # {path: lines} of the running test
        self._tracers: dict[str, Any] = {}  # path -> local trace function of the running test
        self._previous: Any = None  # a trace function someone else had set (put back at stop)

    def relpath(self, filename: str):
        try:
            return self._files[filename]
        except KeyError:
            pass
        rel = None
        if filename and not filename.startswith("<"):
            path = os.path.abspath(filename)
            if path.startswith(self.root + os.sep):
                parts = os.path.relpath(path, self.root).split(os.sep)
                if not any(p in _PRUNE for p in parts):
                    rel = "/".join(parts)
        self._files[filename] = rel
        return rel

    def _lines(self, rel: str) -> Set[int]:
        current = self._current
        assert current is not None  # only called while a test runs
        lines = current.get(rel)
        if lines is None:
            lines = current[rel] = set()
        return lines

    # -- sys.settrace -----------------------------------------------------------------------
    def _global(self, frame, event, arg):
        rel = self.relpath(frame.f_code.co_filename)
        if rel is None or self._current is None:
            return None  # not a project file: no line events for this frame
        local = self._tracers.get(rel)
        if local is None:
            add = self._lines(rel).add

            def local(frame, event, arg):
                if event == "line":
                    add(frame.f_lineno)
                return local

            self._tracers[rel] = local
        return local

    def start(self, nodeid: str) -> None:
        self._current = self._data.setdefault(nodeid, {})
        self._tracers = {}
        self._previous = sys.gettrace()
        threading.settrace(self._global)
        sys.settrace(self._global)

    def stop(self) -> None:
        sys.settrace(self._previous)
        threading.settrace(self._previous)
        self._current = None

    def close(self) -> None:
        self.stop()

    def data(self) -> dict:
        return {
            nodeid: {path: sorted(lines) for path, lines in files.items() if lines}
            for nodeid, files in self._data.items()
            if files
        }


class MonitoringTracer(LineTracer):
    """sys.monitoring (PEP 669): no per-call cost for code that is not the project's."""

    name = "sys.monitoring"

    def __init__(self, root: str, tool: int):
        super().__init__(root)
        mon = getattr(sys, "monitoring")  # noqa: B009 (3.12+; mypy checks as 3.11)
        self._mon = mon
        self._tool = tool
        self._instrumented: set[Any] = set()
        mon.use_tool_id(tool, "treefix")
        mon.register_callback(tool, mon.events.PY_START, self._on_start)
        mon.register_callback(tool, mon.events.LINE, self._on_line)

    def _on_start(self, code, offset):
        if code not in self._instrumented and self.relpath(code.co_filename) is not None:
            self._instrumented.add(code)
            self._mon.set_local_events(self._tool, code, self._mon.events.LINE)
        return self._mon.DISABLE

    def _on_line(self, code, line):
        if self._current is not None:
            rel = self.relpath(code.co_filename)
            if rel is not None:
                self._lines(rel).add(line)
        # once per location: restart_events() at the next test start turns it back on
        return self._mon.DISABLE

    def start(self, nodeid: str) -> None:
        self._current = self._data.setdefault(nodeid, {})
        self._mon.set_events(self._tool, self._mon.events.PY_START)
        self._mon.restart_events()

    def stop(self) -> None:
        self._mon.set_events(self._tool, 0)
        self._current = None

    def close(self) -> None:
        self.stop()
        for code in self._instrumented:
            self._mon.set_local_events(self._tool, code, 0)
        self._mon.register_callback(self._tool, self._mon.events.PY_START, None)
        self._mon.register_callback(self._tool, self._mon.events.LINE, None)
        self._mon.free_tool_id(self._tool)


def make_tracer(root: str, kind: str = "") -> LineTracer:
    """`kind`: "settrace" forces the portable tracer; otherwise sys.monitoring when it has a free
    tool id (coverage.py or a debugger may hold some)."""
    mon = getattr(sys, "monitoring", None)
    if mon is not None and kind != "settrace":
        for tool in (mon.COVERAGE_ID, 3, 4, 5):
            if mon.get_tool(tool) is None:
                return MonitoringTracer(root, tool)
    return LineTracer(root)
