"""Runs the test command in a sandbox and grades the run by its exit code."""

from __future__ import annotations

import secrets
import signal as _signal
import threading
import time
from collections.abc import Mapping

from treefix.protocols import COVERAGE_LIMIT, Evaluation, ExecRequest, ExecResult, Sandbox
from treefix.testing.command import TestCommand, wrap_with_marker
from treefix.testing.coverage_file import coverage_text, parse_coverage
from treefix.testing.harness import Harness, PluginLines, load_failure, read_plugin_lines
from treefix.testing.results import (
    KILLED_WHILE_RUNNING,
    merge,
    parse_collected,
    parse_junit,
    parse_plugin,
    parse_unittest,
    read_marker,
    stopped_at_budget,
    strip_marker,
    tracing_deferred,
)
from treefix.testing.warm.choose import cold_reason
from treefix.testing.warm.client import WarmServer, WarmServerLost
from treefix.types import Status, TestOutcome, TestReport

WALL_CLOCK = "run exceeded its wall-clock limit"
_PYTEST_STATUS = {
    0: Status.PASSED,
    1: Status.FAILED,
    2: Status.ERROR,
    3: Status.ERROR,
    4: Status.ERROR,
    5: Status.NO_TESTS,
}


def classify(
    exit_code: int | None,
    *,
    timed_out: bool,
    signal: int | None,
    is_pytest: bool,
    tests: Mapping[str, TestOutcome],
    timeouts: set[str],
    oom: bool = False,
    reported: bool = True,
    pids_limited: bool = False,
) -> tuple[Status, str]:
    """`reported`: pytest wrote its JUnit file, i.e. its session reached the end.
    `pids_limited`: the process-count limit refused a fork during the run."""
    if oom:
        return Status.OOM, "killed by the memory limit"
    if pids_limited and (timed_out or exit_code != 0):
        # a fork bomb: the limit held it, then the clock or a failure ended it; the cause is the
        # limit (a run that hit it and still passed is a pass)
        return Status.RESOURCE_LIMIT, "stopped by the process-count (pids) limit" + (
            "; run killed at its wall-clock limit" if timed_out else ""
        )
    if timed_out:
        return Status.TIMEOUT, f"{WALL_CLOCK}; process tree killed"
    if exit_code is None:
        if signal:
            return Status.CRASHED, f"killed by {_signal.Signals(signal).name}"
        return Status.SANDBOX_ERROR, "the run printed no exit marker"
    if exit_code >= 128 and exit_code - 128 in _signal.valid_signals():
        # the same event as the signal above, seen by a process that outlived the test (the
        # command's shell, a warm server): one wording, whichever the sandbox observed
        sig = _signal.Signals(exit_code - 128)
        return Status.CRASHED, f"killed by {sig.name}"
    if exit_code in (126, 127):
        return Status.ERROR, "test command not found or not executable"
    if is_pytest and exit_code == 0 and (not tests or not reported):
        # pytest never exits 0 without a test result: the process ended early (os._exit in a
        # conftest or a test), so nothing was checked
        return Status.ERROR, "the run ended before pytest reported (exit 0, no test results)"
    if any("MemoryError" in t.message.split(":", 1)[0] for t in tests.values()):
        return Status.OOM, "a test ran out of memory (MemoryError under the memory limit)"
    if timeouts:
        return Status.TIMEOUT, f"{len(timeouts)} test(s) exceeded the per-test time limit"
    if is_pytest:
        status = _PYTEST_STATUS.get(exit_code, Status.CRASHED)
        detail = {
            Status.ERROR: "pytest internal error"
            if exit_code == 3
            else "collection or usage error",
            Status.NO_TESTS: "no tests collected (pytest exit 5)",
        }.get(status, "")
        return status, detail or f"exit code {exit_code}"
    return (
        (Status.PASSED, "exit code 0")
        if exit_code == 0
        else (Status.FAILED, f"exit code {exit_code}")
    )


def run_budget(timeout: float, per_test_timeout: float) -> float:
    """When a self-stopping run starts no further test: one more may take the per-test limit,
    and coverage must still be written before the kill."""
    budget = timeout - per_test_timeout - 2.0
    return round(budget if budget > timeout / 2 else timeout * 0.6, 2)


class TestRunner:
    """Runs the test command; `harness` says what treefix's plugin could do in the project's
    interpreter, decided on the first run (the baseline) and kept for the rest of the repair so
    every candidate is graded the same way."""

    __test__ = False

    def __init__(self, command: TestCommand, mode: str = "auto"):
        self.command = command
        self.mode = mode  # the `runner` setting: auto | warm | cold
        self.harness = Harness(plugin=command.is_pytest)
        self._probed = not command.is_pytest
        self._decided = False  # warm or cold: decided after the first run (the baseline)
        self._modules: list[str] | None = None  # the baseline's third-party imports
        self._cold_why = ""
        self._servers: dict[int, WarmServer] = {}  # one per sandbox (worker)
        self._lock = threading.Lock()
        self.warm_runs = 0  # candidate runs served warm (the rest ran cold)

    def argv(self, sandbox: Sandbox, tests: list[str] | None) -> list[str]:
        junit = [f"--junitxml={sandbox.results_dir}/junit.xml", "-o", "junit_family=xunit1"]
        if self.command.is_pytest:
            plugin = ["-p", "treefix_pytest"] if self.harness.plugin else []
            extra = [*plugin, "-p", "no:cacheprovider", *junit, "--color=no", "-q", "--tb=short"]
        elif self.command.inner == "pytest":  # inside tox/nox: JUnit through posargs
            extra = [*junit, "-p", "no:cacheprovider", "-rfE"]
        elif self.command.inner == "unittest":
            extra = ["-v"]  # per-test verdicts on stderr
        else:
            extra = []
        return self.command.focused(tests, extra)

    def run(
        self,
        sandbox: Sandbox,
        changed: Mapping[str, bytes],
        tests: list[str] | None = None,
        *,
        timeout: float,
        per_test_timeout: float = 0.0,
        coverage: bool = False,
        stop_on_hang: bool = False,
        list_tests: bool = False,
        trace_max_tests: int = 0,
        trace_cap_slow_only: bool = False,
    ) -> TestReport:
        def once() -> tuple[TestReport, PluginLines]:
            return self._run(
                sandbox,
                changed,
                tests,
                timeout=timeout,
                per_test_timeout=per_test_timeout,
                coverage=coverage,
                stop_on_hang=stop_on_hang,
                list_tests=list_tests,
                trace_max_tests=trace_max_tests,
                trace_cap_slow_only=trace_cap_slow_only,
            )

        report, lines = once()
        if not self._decided:
            self._decided = True
            self._modules = lines.modules
            out = self._probe(report, lines, once) if not self._probed else report
            self._probed = True
            self._choose(sandbox)
            return out
        if lines.error and self.harness.plugin:
            self._plugin_off(lines.error)
        return report

    def evaluate(self, sandbox: Sandbox, ev: Evaluation) -> TestReport:
        """One Evaluation (what every executor runs), in this runner's way."""
        return self.run(
            sandbox,
            ev.changed,
            list(ev.tests) if ev.tests is not None else None,
            timeout=ev.timeout,
            per_test_timeout=ev.per_test_timeout,
            coverage=ev.coverage,
            stop_on_hang=ev.stop_on_hang,
            list_tests=ev.list_tests,
            trace_max_tests=ev.trace_max_tests,
            trace_cap_slow_only=ev.trace_cap_slow_only,
        )

    def _choose(self, sandbox: Sandbox) -> None:
        """Warm or cold for the rest of the repair; a warm server is started now in the
        baseline's sandbox, so the header tells what really happens."""
        why = cold_reason(
            self.mode,
            self.command,
            sandbox.kind,
            callable(getattr(sandbox, "spawn", None)),
            self._modules if self.harness.plugin else None,
            self.harness.python,
        )
        if not why:
            server = self._server(sandbox)
            ready = server.ready if server.usable() else server.start()
            if ready is not None and ready.ok:
                size = f", {ready.rss_kb / 1024:.0f} MiB" if ready.rss_kb else ""
                self.harness.runner = (
                    f"warm (one pytest server per worker, {ready.preloaded} modules preloaded"
                    f"{size}, forked per candidate)"
                )
                return
            why = f"the warm server could not serve: {ready.why if ready else 'no answer'}"
        self._cold_why = why
        self.harness.runner = (
            ("cold (runner = warm asked, but " + why + ")")
            if (self.mode == "warm" and why != "runner = cold")
            else f"cold ({why})"
        )

    @property
    def warm(self) -> bool:
        return self._decided and not self._cold_why

    def _server(self, sandbox: Sandbox) -> WarmServer:
        with self._lock:
            server = self._servers.get(id(sandbox))
            if server is None or server.sandbox is not sandbox:
                env = {"PYTHONPATH": sandbox.support_dir}
                server = WarmServer(sandbox, self.command.argv[0], env, self._modules or [])  # type: ignore[arg-type]
                self._servers[id(sandbox)] = server
            return server

    def close(self) -> None:
        """Stops the warm servers (their sandboxes' close() does too)."""
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()

    def _plugin_off(self, why: str) -> None:
        self.harness.plugin = False
        self.harness.problem = why

    def _probe(self, report: TestReport, lines: PluginLines, again) -> TestReport:
        """First run: did the plugin load? If pytest stopped before it said so, run once more
        without it; when that run gets further, the repair goes on graded by JUnit alone."""
        if lines.loaded is not None:
            self.harness.python = str(lines.loaded.get("python", ""))
            self.harness.pytest = str(lines.loaded.get("pytest", ""))
            self.harness.tracer = str(lines.loaded.get("tracer", ""))
            if lines.error:
                self._plugin_off(lines.error)
            return report
        if report.exit_code is None or report.exit_code == 0:
            return report  # killed, or exited before any hook ran: not the plugin's doing
        why = load_failure(report.output)
        self.harness.plugin = False
        retry, _ = again()
        if not retry.tests:
            self.harness.plugin = True  # no further without it: the failure is the project's
            return report
        self.harness.problem = f"it did not load: {why}"
        return retry

    def _run(
        self,
        sandbox: Sandbox,
        changed: Mapping[str, bytes],
        tests: list[str] | None,
        *,
        timeout: float,
        per_test_timeout: float,
        coverage: bool,
        stop_on_hang: bool = False,
        list_tests: bool = False,
        trace_max_tests: int = 0,
        trace_cap_slow_only: bool = False,
    ) -> tuple[TestReport, PluginLines]:
        marker = f"__TREEFIX_EXIT_{secrets.token_hex(8)}"
        env = {}
        if self.command.is_pytest:
            env = {
                "PYTHONPATH": sandbox.support_dir,
                "TREEFIX_RESULTS": sandbox.results_dir,
                "TREEFIX_TEST_TIMEOUT": f"{per_test_timeout:g}",
            }
            if coverage:
                env["TREEFIX_COVERAGE"] = "1"
                if sandbox.ctracer:
                    env["TREEFIX_CTRACER"] = sandbox.ctracer
                if sandbox.tracer:
                    env["TREEFIX_TRACER"] = self.harness.tracer_asked = sandbox.tracer
                if trace_max_tests > 0:
                    env["TREEFIX_TRACE_MAX_TESTS"] = str(trace_max_tests)
                    if trace_cap_slow_only:
                        env["TREEFIX_TRACE_CAP_SLOW_ONLY"] = "1"
            if stop_on_hang:
                env["TREEFIX_STOP_ON_HANG"] = "1"
            if list_tests:  # the baseline: it may be continued, so it stops itself in time
                env["TREEFIX_LIST_TESTS"] = "1"
                env["TREEFIX_RUN_BUDGET"] = f"{run_budget(timeout, per_test_timeout):g}"
        if not self._decided:
            env["TREEFIX_MODULES"] = "1"  # the baseline says what a warm server should preload
        started = time.time()  # wall clock: the plugin's timestamps are too (same kernel clock)
        res: ExecResult | None = None
        if self.warm:
            server = self._server(sandbox)
            try:
                res = sandbox.execute(  # type: ignore[call-arg]
                    changed,
                    ExecRequest(self.argv(sandbox, tests), env, timeout),
                    through=server.run,
                )
                self.warm_runs += 1
                exit_code = res.exit_code
            except WarmServerLost as exc:
                res = None  # the candidate is run cold: the verdict never rests on a lost server
                if server.ready is not None and not server.ready.ok:  # a restart failed
                    self._cold_why = str(exc)
                    self.harness.runner = f"cold after a warm start ({exc})"
        if res is None:
            res = sandbox.execute(
                changed,
                ExecRequest(wrap_with_marker(self.argv(sandbox, tests), marker), env, timeout),
            )
            exit_code = read_marker(res.stdout, marker) if not res.timed_out else None
        jsonl = res.artifacts.get("results.jsonl", "")
        plugin, timeouts, _ = parse_plugin(jsonl)
        collected_at, collected = parse_collected(jsonl)
        tests_out = merge(parse_junit(res.artifacts.get("junit.xml", "")), plugin)
        if self.command.inner == "unittest":
            tests_out = parse_unittest(res.stdout + "\n" + res.stderr, sandbox.workdir)
        if exit_code is not None and exit_code < 128 and not (res.oom or res.pids_limited):
            # the run ended by itself (pytest's internal error, os._exit in a test): the test it
            # was running did not hang, and must not turn the run into a timeout
            for nodeid in [n for n in timeouts if tests_out[n].message == KILLED_WHILE_RUNNING]:
                timeouts.discard(nodeid)
                tests_out[
                    nodeid
                ].message = (
                    f"Stopped: the test process ended during this test (exit code {exit_code})"
                )
        status, detail = classify(
            exit_code,
            timed_out=res.timed_out,
            signal=res.signal,
            is_pytest=self.command.is_pytest,
            tests=tests_out,
            timeouts=timeouts,
            oom=res.oom,
            reported="junit.xml" in res.artifacts,
            pids_limited=res.pids_limited,
        )
        if stopped_at_budget(jsonl) and status in (
            Status.ERROR,
            Status.FAILED,
            Status.PASSED,
            Status.TIMEOUT,  # per-test hangs too: the run still stopped itself before the rest
        ):
            status, detail = Status.TIMEOUT, f"{WALL_CLOCK} (stopped in time: results kept)"
        if status in (Status.OOM, Status.CRASHED, Status.RESOURCE_LIMIT):
            # the test that was running when the run died: say what killed it, not "timeout"
            for t in tests_out.values():
                if t.message == KILLED_WHILE_RUNNING:
                    t.message = {
                        Status.OOM: "OutOfMemory: killed by the memory limit",
                        Status.RESOURCE_LIMIT: f"ResourceLimit: {detail}",
                    }.get(status, f"Crashed: {detail}")
        cov, coverage_note = None, ""
        text = coverage_text(res.artifacts) if coverage else None
        if text is not None:
            cov, coverage_note = parse_coverage(text, COVERAGE_LIMIT)
        output = strip_marker(res.stdout, marker)
        if res.stderr.strip():
            output += "\n" + res.stderr
        report = TestReport(
            status=status,
            exit_code=exit_code,
            duration=res.duration,
            output=output,
            truncated=res.truncated,
            tests=tests_out,
            coverage=cov,
            detail=detail,
            startup=round(max(0.0, collected_at - started), 3) if collected_at else None,
            collected=collected,
            coverage_note=coverage_note,
            trace_deferred=coverage and tracing_deferred(jsonl),
        )
        return report, read_plugin_lines(jsonl) if self.command.is_pytest else PluginLines()
