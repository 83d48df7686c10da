"""pytest plugin loaded by treefix inside the sandbox (`-p treefix_pytest`).

Writes one JSON line per test phase result to $TREEFIX_RESULTS/results.jsonl as it happens (so a
killed run still tells which tests finished and which one was running), enforces a per-test time
limit with SIGALRM (an infinite loop becomes a failure with a traceback pointing into the loop),
and with TREEFIX_COVERAGE=1 records which lines each test executed with treefix's own tracer
(treefix_trace.py: sys.monitoring on 3.12+, else coverage.py's compiled tracer when one loads, else
settrace), whose lines are written to $TREEFIX_RESULTS/coverage.jsonl as each test ends
(treefix_coverage_shape.py).

It runs in the project's interpreter: Python 3.6+ and pytest 4.6+ (keep the syntax and the pytest
API that old: no `from __future__ import annotations`, typing's generics in signatures). Its first line says it loaded and with what; an error in its own hooks is written
as a `plugin_error` line and turns it off, so the project's run goes on, graded by JUnit alone.
"""

import json
import os
import signal
import sys
import time
import types
from typing import List, Optional

import pytest
from treefix_coverage_shape import CoverageStream  # type: ignore[import-not-found]  # beside this file

_RESULTS = os.environ.get("TREEFIX_RESULTS", "")
_TIMEOUT = float(os.environ.get("TREEFIX_TEST_TIMEOUT", "0") or 0)
# After one test hangs, the rest get a quarter of the limit: a bug that loops usually hangs
# several tests, and waiting the full limit for each would eat the whole repair budget.
_limit = _TIMEOUT
# A focused candidate run stops at its first hang: every test it runs must pass, so one hang
# already sinks the candidate and the rest would only cost more limits (like -x, for timeouts).
_STOP_ON_HANG = os.environ.get("TREEFIX_STOP_ON_HANG") == "1"
# The baseline lists the collected ids, so a run cut by its wall-clock limit can be continued
# with the tests it did not reach.
_LIST_TESTS = os.environ.get("TREEFIX_LIST_TESTS") == "1"
# The baseline ends its session itself once this many seconds went by (between two tests), before
# the sandbox's kill: the coverage and JUnit of the tests that ran are written, and the caller
# continues with the rest.
_BUDGET = float(os.environ.get("TREEFIX_RUN_BUDGET", "0") or 0)
# A suite that collects more tests than this is not traced (line tracing costs 2-4x the CPU on
# Python 3.11): tracing stops as the count passes it, while pytest collects (before -k or
# --deselect narrow the selection), and the caller traces a subset in a later run chosen from
# this run's outcomes (treefix.pipeline.traced). 0: trace whatever is collected.
_TRACE_MAX = int(os.environ.get("TREEFIX_TRACE_MAX_TESTS", "0") or 0)
# The cap holds only for the slow recorders (settrace, the C tracer: 2-4x a test's CPU before
# 3.12); sys.monitoring traces a large suite whole within the baseline's budget.
_CAP_SLOW_ONLY = os.environ.get("TREEFIX_TRACE_CAP_SLOW_ONLY") == "1"
_FAST_TRACERS = ("sys.monitoring",)
_collected = 0  # items collected so far (pytest_itemcollected)
_T0 = time.time()
_ROOT = os.getcwd()
_out = None
_tracer = None  # treefix_trace.LineTracer, while recording
_stream = None  # CoverageStream: where the recorded lines go
_broken = False  # set by the first error in treefix's own code: from then on, do nothing
_items = []  # type: List[str]  # the collected node ids


class TreefixTestTimeout(BaseException):
    """Raised inside a test that ran past the per-test limit (BaseException: `except Exception` can't swallow it)."""


def _write(record: dict) -> None:
    global _out
    if not _RESULTS:
        return
    if _out is None:
        _out = open(os.path.join(_RESULTS, "results.jsonl"), "a", encoding="utf-8")  # noqa: SIM115
    _out.write(json.dumps(record) + "\n")
    _out.flush()


def _rel(path: str) -> Optional[str]:
    path = os.path.abspath(path)
    if not path.startswith(_ROOT + os.sep):
        return None
    return os.path.relpath(path, _ROOT).replace(os.sep, "/")


def _frames(excinfo) -> List[list]:
    frames = []
    tb = excinfo.tb if excinfo is not None else None
    while tb is not None:
        rel = _rel(tb.tb_frame.f_code.co_filename)
        if rel is not None:
            frames.append([rel, tb.tb_lineno])
        tb = tb.tb_next
    return frames


def _message(excinfo) -> str:
    if excinfo is None:
        return ""
    exc = excinfo.value
    name = type(exc).__name__
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if isinstance(exc, SyntaxError) and exc.filename:
        rel = _rel(exc.filename) or exc.filename
        first = f"{exc.msg} ({rel}, line {exc.lineno})"
    return f"{name}: {first}"[:500] if first else name


def _detail(report) -> str:
    """pytest's "E" lines of the failure: the assertion message with its diff (what a model
    needs beyond the first line)."""
    text = getattr(report, "longreprtext", "") or ""
    lines = [ln for ln in text.splitlines() if ln.startswith("E ")]
    return "\n".join(lines[:60])[:4000]


def _fail(where: str, exc: BaseException) -> None:
    """treefix's own bug or an API this pytest lacks: never break the project's run over it."""
    global _broken
    if _broken:
        return
    _broken = True
    try:
        _stop_recording()
    except Exception:
        pass
    try:
        _write({"event": "plugin_error", "where": where, "message": _message_of(exc)})
    except Exception:
        pass


def _message_of(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _start_coverage() -> str:
    """Starts per-test line recording; returns which recorder runs.

    Always treefix's own tracer, whose lines stream out test by test: coverage.py's Coverage, even
    where the project has it, would hold every test's contexts in memory to the session's end (a
    killed run loses them all) and sit on sys.monitoring's coverage slot. Its compiled tracer is
    what makes it fast before 3.12, and the tracer borrows that."""
    global _tracer, _stream
    if _RESULTS:
        _stream = CoverageStream(_RESULTS, _ROOT)
    kind = os.environ.get("TREEFIX_TRACER", "")  # "" (best), "settrace" or "ctracer"
    import treefix_trace  # type: ignore[import-not-found]  # beside this file on sys.path

    _tracer = treefix_trace.make_tracer(_ROOT, kind, os.environ.get("TREEFIX_CTRACER", ""))
    return _tracer.name


def _stop_recording() -> None:
    """Tracing off for the rest of the run; nothing recorded so far is kept."""
    global _tracer, _stream
    if _stream is not None:
        _stream.discard()
        _stream = None
    if _tracer is not None:
        _tracer.close()
        _tracer = None


def _switch(nodeid) -> None:
    """Attributes the lines run from now on to `nodeid` (None: to no test)."""
    if _tracer is not None:
        if nodeid:
            _tracer.start(nodeid)
        else:
            _tracer.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """pytest-cov off, as `--no-cov` does (a wrapper: it runs before pytest-cov's own hook).

    A project's `addopts = --cov=...` would start a second coverage.py beside treefix's (their
    collectors then stop out of order: an internal error), slow every candidate run, and a
    `--cov-fail-under` would fail a focused run whose tests all pass."""
    try:
        namespace = early_config.known_args_namespace
        if hasattr(namespace, "no_cov"):
            namespace.no_cov = True
    except Exception as exc:
        _fail("load_initial_conftests", exc)
    yield


def pytest_configure(config):
    try:
        tracer = _start_coverage() if os.environ.get("TREEFIX_COVERAGE") == "1" else ""
        _write(
            {
                "event": "plugin",
                "python": ".".join(str(n) for n in sys.version_info[:3]),
                "pytest": getattr(pytest, "__version__", "?"),
                "tracer": tracer,
            }
        )
    except Exception as exc:
        _fail("configure", exc)


def pytest_itemcollected(item):
    global _collected
    _collected += 1
    if _broken or not _TRACE_MAX or _collected <= _TRACE_MAX:
        return
    if _tracer is None:
        return
    if _CAP_SLOW_ONLY and _tracer.name in _FAST_TRACERS:
        return
    try:
        _stop_recording()
        _write({"event": "coverage_off", "limit": _TRACE_MAX})
    except Exception as exc:
        _fail("itemcollected", exc)


def pytest_collection_finish(session):
    """When collection ended (wall clock): start-up = import + collection, measured by the caller."""
    if _broken:
        return
    try:
        _items[:] = [item.nodeid for item in session.items]
        record = {"event": "collected", "time": time.time(), "count": len(session.items)}
        if _LIST_TESTS:
            record["ids"] = list(_items)
        _write(record)
    except Exception as exc:
        _fail("collection_finish", exc)


def _on_alarm(signum, frame):
    global _limit
    spent = _limit
    _limit = max(1.0, _TIMEOUT / 4)
    raise TreefixTestTimeout(f"test ran longer than {spent:g}s (treefix per-test limit)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not _broken:
        try:
            _write({"event": "start", "nodeid": item.nodeid})
            _switch(item.nodeid)
        except Exception as exc:
            _fail("runtest_protocol", exc)
    yield
    if not _broken:
        try:
            _switch(None)
            if _tracer is not None and _stream is not None:
                _stream.test(item.nodeid, _tracer.take())
            if _BUDGET and time.time() - _T0 > _BUDGET and not item.session.shouldstop:
                item.session.shouldstop = "treefix: the run's time budget is spent"
                _write({"event": "budget", "after": item.nodeid})
        except Exception as exc:
            _fail("runtest_protocol", exc)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    armed = not _broken and _TIMEOUT > 0 and hasattr(signal, "setitimer")
    if armed:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, _limit)
    try:
        outcome = yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    if not _broken:
        try:
            _mend_traceback(outcome)
        except Exception as exc:
            _fail("runtest_call", exc)


def _mend_traceback(outcome) -> None:
    """Give every traceback entry of the test's exception a line number. Python 3.11+ says None
    for an instruction that has none, and the per-test limit's SIGALRM can land on one (a `with`
    or `except` clean-up in a loop): pytest's report then fails on `tb_lineno - 1` and the whole
    run stops with an INTERNALERROR."""
    excinfo = getattr(outcome, "excinfo", None)  # (type, value, tb) in every pluggy
    if not excinfo:
        return
    entries = []
    tb = excinfo[2]
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    if all(e.tb_lineno is not None for e in entries):
        return
    mended = None
    for e in reversed(entries):
        line = e.tb_lineno
        if line is None:
            line = _line_before(e.tb_frame.f_code, e.tb_lasti)
        mended = types.TracebackType(mended, e.tb_frame, e.tb_lasti, line)
    exc = excinfo[1].with_traceback(mended)
    if hasattr(outcome, "force_exception"):  # pluggy 1.1+
        outcome.force_exception(exc)
    else:
        outcome._excinfo = (excinfo[0], exc, mended)


def _line_before(code, lasti: int) -> int:
    """The line of the last instruction at or before `lasti` that has one."""
    line = code.co_firstlineno
    for start, _end, number in code.co_lines():  # 3.10+: only there can a line be None
        if start > lasti:
            break
        if number is not None:
            line = number
    return line


def _duration(call) -> float:
    duration = getattr(call, "duration", None)  # pytest 5.x+; 4.6 has start and stop only
    if duration is None:
        duration = call.stop - call.start
    return round(duration, 6)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if _broken:
        return
    try:
        _record(item, call, outcome.get_result())
    except Exception as exc:
        _fail("runtest_makereport", exc)


def _record(item, call, report) -> None:
    # a test skipped in setup (skip marker, pytest.skip in a fixture) never reaches "call":
    # it is recorded then, or it would look like a test killed while running
    if call.when == "call" or report.failed or (call.when == "setup" and report.skipped):
        excinfo = call.excinfo
        hung = bool(excinfo is not None and excinfo.errisinstance(TreefixTestTimeout))
        if hung and _STOP_ON_HANG:
            item.session.shouldstop = "treefix: stopped at the first test that hung"
        _write(
            {
                "event": "result",
                "nodeid": item.nodeid,
                "when": call.when,
                "outcome": "passed"
                if report.passed
                else (
                    "skipped" if report.skipped else ("failed" if call.when == "call" else "error")
                ),
                "duration": _duration(call),
                "message": _message(excinfo) if report.failed else "",
                "frames": _frames(excinfo) if report.failed else [],
                "detail": _detail(report) if report.failed else "",
                "timeout": hung,
            }
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    # A test module's import runs its module-level code (an app and its routes built by
    # decorators, fixtures' data): lines recorded under the module, given to each of its tests.
    recording = False
    if not _broken and _tracer is not None:
        try:
            if isinstance(collector, pytest.Module):
                _switch(collector.nodeid)
                recording = True
        except Exception as exc:
            _fail("make_collect_report", exc)
    outcome = yield
    if _broken:
        return
    try:
        if recording:
            _switch(None)
            if _tracer is not None and _stream is not None:
                _stream.module(collector.nodeid, _tracer.take())
        report = outcome.get_result()
        if report.failed:
            text = str(report.longrepr)[-4000:]
            _write({"event": "collect_error", "nodeid": collector.nodeid or ".", "message": text})
    except Exception as exc:
        _fail("make_collect_report", exc)


def _third_party_modules() -> list:
    """What this run imported apart from the project's own modules and treefix's: what the warm
    runner's server preloads."""
    out = []
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None) or ""
        if name == "__main__" or name.startswith(("treefix_", "conftest")):
            continue
        if path and _rel(path) is not None:
            continue
        out.append(name)
    return sorted(out)


def pytest_sessionfinish(session, exitstatus):
    if not _broken and _RESULTS and os.environ.get("TREEFIX_MODULES") == "1":
        try:
            _write({"event": "modules", "names": _third_party_modules()})
        except Exception as exc:
            _fail("sessionfinish", exc)
    if _broken or _stream is None:
        return
    try:
        if _tracer is not None:
            _tracer.close()  # each test's lines were written as it ended
        _stream.close()
    except Exception as exc:
        _fail("sessionfinish", exc)
    sys.stdout.flush()

