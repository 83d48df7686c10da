"""pytest plugin loaded by treefix inside the sandbox (`-p treefix_pytest`).

Writes one JSON line per test phase result to $TREEFIX_RESULTS/results.jsonl as it happens (so a
killed run still tells which tests finished and which one was running), enforces a per-test time
limit with SIGALRM (an infinite loop becomes a failure with a traceback pointing into the loop),
and with TREEFIX_COVERAGE=1 records which lines each test executed (coverage.py contexts).
"""

from __future__ import annotations

import json
import os
import signal
import sys

import pytest

_RESULTS = os.environ.get("TREEFIX_RESULTS", "")
_TIMEOUT = float(os.environ.get("TREEFIX_TEST_TIMEOUT", "0") or 0)
# After one test hangs, the rest get a quarter of the limit: a bug that loops usually hangs
# several tests, and waiting the full limit for each would eat the whole repair budget.
_limit = _TIMEOUT
_ROOT = os.getcwd()
_out = None
_cov = None


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


def _rel(path: str) -> str | None:
    path = os.path.abspath(path)
    if not path.startswith(_ROOT + os.sep):
        return None
    return os.path.relpath(path, _ROOT).replace(os.sep, "/")


def _frames(excinfo) -> list[list]:
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


def pytest_configure(config):
    global _cov
    if os.environ.get("TREEFIX_COVERAGE") == "1":
        try:
            import coverage
        except ImportError:
            return
        _cov = coverage.Coverage(data_file=None, source=[_ROOT], branch=False, config_file=False)
        _cov.start()


def _on_alarm(signum, frame):
    global _limit
    spent = _limit
    _limit = max(1.0, _TIMEOUT / 4)
    raise TreefixTestTimeout(f"test ran longer than {spent:g}s (treefix per-test limit)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _write({"event": "start", "nodeid": item.nodeid})
    if _cov is not None:
        _cov.switch_context(item.nodeid)
    yield
    if _cov is not None:
        _cov.switch_context("")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    armed = _TIMEOUT > 0 and hasattr(signal, "setitimer")
    if armed:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, _limit)
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # a test skipped in setup (skip marker, pytest.skip in a fixture) never reaches "call":
    # it is recorded then, or it would look like a test killed while running
    if call.when == "call" or report.failed or (call.when == "setup" and report.skipped):
        excinfo = call.excinfo
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
                "duration": round(call.duration, 6),
                "message": _message(excinfo) if report.failed else "",
                "frames": _frames(excinfo) if report.failed else [],
                "timeout": bool(excinfo is not None and excinfo.errisinstance(TreefixTestTimeout)),
            }
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        text = str(report.longrepr)[-4000:]
        _write({"event": "collect_error", "nodeid": collector.nodeid or ".", "message": text})


def pytest_sessionfinish(session, exitstatus):
    if _cov is None or not _RESULTS:
        return
    _cov.stop()
    data = _cov.get_data()
    per_test: dict[str, dict[str, list[int]]] = {}
    for path in data.measured_files():
        rel = _rel(path)
        if rel is None:
            continue
        for line, contexts in data.contexts_by_lineno(path).items():
            for ctx in contexts:
                if ctx:
                    per_test.setdefault(ctx, {}).setdefault(rel, []).append(line)
    with open(os.path.join(_RESULTS, "coverage.json"), "w", encoding="utf-8") as fh:
        json.dump(per_test, fh)
    sys.stdout.flush()
