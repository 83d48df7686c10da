"""treefix's own per-test line tracer, the only recorder of per-test coverage.

Runs inside the project's interpreter (Python 3.6 and up: keep the syntax that old; signatures
use typing's generics, annotations inside functions are never evaluated). Records, per
test, the lines executed in the project's own files: sys.monitoring on 3.12+ (each line reported
once per test, then disabled until the next test), sys.settrace before that (frames of files
outside the project are dropped at their call event, so library code costs one dict lookup per
call). Each test's lines are taken (take()) as it ends and written out by the plugin, so the
tracer holds one test's lines at a time, whatever the suite's size.
"""

import os
import sys
import threading
from typing import Any, Set

_PRUNE = ("site-packages", "dist-packages")


class LineTracer:
    """start(nodeid) / stop() around each test, then take() its lines."""

    name = "settrace"

    def __init__(self, root: str):
        self.root = root
        # code filename -> project-relative path, or None: not ours
        self._files: dict[str, str | None] = {}
        self._last: dict[str, set[int]] = {}  # {path: lines} of the test that ran last
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

    def _begin(self) -> None:
        self._current = self._last = {}

    def take(self) -> dict:
        """{path: sorted lines} of the test that ran last (after stop()); forgotten here."""
        last, self._last = self._last, {}
        return {path: sorted(lines) for path, lines in last.items() if lines}

    def start(self, nodeid: str) -> None:
        self._begin()
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
        self._begin()
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


def _nothing(*args):
    return None


# one interpreter lock: the C tracer's data needs no lock of its own
_OPTIONAL_HOOKS = (
    ("lock_data", _nothing),
    ("unlock_data", _nothing),
    ("concur_id_func", None),
    ("check_include", None),
    ("disable_plugin", None),
    ("should_start_context", None),
    ("switch_context", None),
)


class CLineTracer(LineTracer):
    """coverage.py's C trace function (its CTracer), loaded from treefix's own coverage.py when
    the project's interpreter has the same ABI: before 3.12 the per-line work is then C, not a
    Python callback per line (settrace costs ~4x the bare CPU on loop-heavy tests).

    Lines are recorded per source file into sets that stay in place (a running frame's C entry
    points at its file's set); at stop() the test takes what they hold and they are emptied."""

    name = "ctracer"

    def __init__(self, root: str, module: Any):
        super().__init__(root)
        self._mod = module
        self._cdata: dict[str, set[int]] = {}  # filename -> lines, filled by the C tracers
        self._cache: dict[str, Any] = {}  # should_trace's answers, shared by every thread's tracer
        self._main: Any = None  # the tracer of the thread that runs the tests

    def _should_trace(self, filename, frame):
        disp = self._mod.CFileDisposition()
        disp.original_filename = disp.canonical_filename = disp.source_filename = filename
        disp.trace = self.relpath(filename) is not None
        disp.reason = ""
        disp.file_tracer = None
        disp.has_dynamic_filename = False
        return disp

    def _new(self) -> Any:
        tracer = self._mod.CTracer()
        tracer.data = self._cdata
        tracer.trace_arcs = False
        tracer.should_trace = self._should_trace
        tracer.should_trace_cache = self._cache
        tracer.warn = _nothing
        tracer.file_tracers = {}
        # unset members are NULL in C, not None: every hook coverage.py may set is set, those of
        # older versions too (5.x-7.2 have no lock_data; 4.x no context hooks)
        for member, value in _OPTIONAL_HOOKS:
            if hasattr(tracer, member):
                setattr(tracer, member, value)
        return tracer

    def _in_thread(self, frame, event, arg):
        """A thread the test started: its own C tracer (as coverage.py does), same data."""
        sys.settrace(None)
        fn = self._new().start()
        return fn(frame, event, arg) if fn else None

    def start(self, nodeid: str) -> None:
        self._begin()
        self._previous = sys.gettrace()
        threading.settrace(self._in_thread)
        # a fresh one per test: no frame stack carried over from the previous test's frames
        self._main = self._new()
        self._main.start()

    def stop(self) -> None:
        if self._main is not None:
            self._main.stop()
            self._main = None
            if self._previous is not None:
                sys.settrace(self._previous)
        threading.settrace(self._previous)
        current, self._current = self._current, None
        for filename, lines in list(self._cdata.items()):
            if not lines:
                continue
            got = set(lines)  # a set; a dict keyed by line number from coverage.py 5.x
            if isinstance(lines, set):  # emptied in place: threads may still add to it
                lines.difference_update(got)
            else:
                for line in got:
                    lines.pop(line, None)
            rel = self.relpath(filename)
            if got and rel is not None and current is not None:
                current.setdefault(rel, set()).update(got)


def load_ctracer(path: str) -> Any:
    """coverage.py's compiled tracer module at `path`, or None when this interpreter cannot load
    it (another Python version or platform: its file suffix says which it was built for)."""
    import importlib.machinery
    import importlib.util

    # the first suffix names this interpreter's version and platform (".cpython-311-x86_64-linux-gnu.so"):
    # a bare ".so" would let a tracer built for another ABI crash the interpreter
    if not path or not path.endswith(importlib.machinery.EXTENSION_SUFFIXES[0]):
        return None
    try:
        # the init function is named after the last part of the name: PyInit_tracer
        spec = importlib.util.spec_from_file_location("treefix_coverage.tracer", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except (ImportError, OSError):
        return None
    return module if hasattr(module, "CTracer") else None


def project_ctracer() -> Any:
    """The compiled tracer of the coverage.py installed for this interpreter (the project's own),
    or None: no coverage.py, a pure-Python one, or a CTracer this class cannot drive. Found by
    path: importing coverage itself would cost every run its import."""
    import importlib.machinery
    import importlib.util

    try:
        spec = importlib.util.find_spec("coverage")
    except (ImportError, ValueError):
        return None
    for folder in list(getattr(spec, "submodule_search_locations", None) or []):
        module = load_ctracer(
            os.path.join(folder, "tracer" + importlib.machinery.EXTENSION_SUFFIXES[0])
        )
        if module is None:
            continue
        try:
            CLineTracer("", module)._new()  # sets every member it needs: an unknown one raises
        except Exception:
            return None
        return module
    return None


def make_tracer(root: str, kind: str = "", ctracer: str = "") -> LineTracer:
    """`kind`: "settrace" forces the portable tracer; otherwise sys.monitoring when it has a free
    tool id (coverage.py or a debugger may hold some), else the C tracer at `ctracer` when this
    interpreter can load it, else that of the project's own coverage.py, else settrace."""
    mon = getattr(sys, "monitoring", None)
    if mon is not None and kind not in ("settrace", "ctracer"):
        for tool in (mon.COVERAGE_ID, 3, 4, 5):
            if mon.get_tool(tool) is None:
                return MonitoringTracer(root, tool)
    if kind == "settrace":
        return LineTracer(root)
    module = load_ctracer(ctracer)
    if module is not None:
        return CLineTracer(root, module)
    module = project_ctracer()
    if module is not None:
        tracer = CLineTracer(root, module)
        tracer.name = "ctracer (the project's coverage.py)"
        return tracer
    return LineTracer(root)
