"""The stages before the search: the baseline run and what it rules out, the flaky check, and
localisation. Each is one function; the run record is filled in by the caller."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from treefix.errors import EnvironmentProblem, UsageError
from treefix.pipeline.options import SearchOptions
from treefix.pipeline.shards import cut_by_limit, merge_reports
from treefix.pipeline.traced import trace_cap, trace_subset
from treefix.protocols import Evaluation, Executor, Language
from treefix.search.reward import WHOLE_COMMAND, Baseline
from treefix.testing.command import TestCommand
from treefix.testing.harness import Harness, broken_harness
from treefix.testing.results import KILLED_WHILE_RUNNING
from treefix.types import ProgramState, Status, Suspicion, TestReport
from treefix.workspace.snapshot import Project

MAX_GUARDS = 25
SLOW_RECHECK = 3.0  # the per-test limit, times this, for a target that hung under the tracer


@dataclass
class BaselineRun:
    report: TestReport
    runs: int = 1  # >1: cut by --test-timeout and continued with the tests it had not reached
    cut: str = ""  # why some collected tests never ran ("": all ran)
    traced_runs: int = 0  # >0: a large suite ran bare, then a subset traced (pipeline/traced.py)


def run_baseline(executor: Executor, options: SearchOptions, deadline: float) -> BaselineRun:
    """The whole suite with coverage (the spectrum for localisation). A suite longer than one
    run's limit is not cut silently: the run is continued with the tests it did not reach, until
    all ran or the time limit is near; what stays unrun is said.

    A suite of more than `trace_max_tests` tests (unset: AUTO_TRACE_MAX_TESTS, and only when
    the project's tracer is a slow one) is not traced: the plugin stops tracing as collection
    passes that count (no extra run for a small suite), the suite runs bare, and when some test
    fails, a subset is traced afterwards within a budget (pipeline/traced.py)."""
    limit, per_test = options.test_timeout, options.per_test_timeout
    cap = trace_cap(options)
    full = Evaluation(
        {},
        None,
        limit,
        per_test,
        coverage=True,
        list_tests=True,
        trace_max_tests=cap,
        trace_cap_slow_only=options.trace_max_tests is None,
    )
    parts = [executor.run([full])[0]]
    collected = parts[0].collected
    deferred = parts[0].trace_deferred  # too many tests to trace: the continuations trace none
    at_deadline = False
    while cut_by_limit(parts[-1]) and collected:
        done = {n for p in parts for n, t in p.tests.items() if t.message != KILLED_WHILE_RUNNING}
        rest = [n for n in collected if n not in done]
        if not rest:
            break
        if time.monotonic() + limit > deadline:
            at_deadline = True
            break
        if len(parts) > 1 and not set(parts[-1].tests) - set(parts[-2].tests):
            break  # the last run finished nothing new: more runs would not either
        # listing again: the continuation stops itself in time too, keeping its coverage
        more = Evaluation({}, rest, limit, per_test, coverage=not deferred, list_tests=True)
        parts.append(executor.run([more])[0])
    report = merge_reports(parts, continued=True)
    if at_deadline:
        # the test the last run was killed in did not fail: its run hit the limit, and no run
        # was left to finish it (a test that stalls every continuation stays: it may hang)
        for nodeid in [n for n, t in parts[-1].tests.items() if t.message == KILLED_WHILE_RUNNING]:
            report.tests.pop(nodeid, None)
    cut = ""
    unrun = [
        n
        for n in collected or ()
        if n not in report.tests or report.tests[n].message == KILLED_WHILE_RUNNING
    ]
    stopped = cut_by_limit(parts[-1])
    if stopped and collected and unrun:  # stopping after its last test cut nothing
        cut = (
            f"the baseline stopped at --test-timeout {limit:g}s per run after {len(parts)} run(s): "
            f"{len(unrun)} of {len(collected)} tests never ran and are not checked (raise "
            "--test-timeout or --time-limit to include them)"
        )
    elif len(parts) > 1 and (stopped or report.status in (Status.PASSED, Status.FAILED)):
        # all ran: the verdict is over every part's tests, not the last part's alone
        report.status = Status.FAILED if report.failing() else Status.PASSED
        report.exit_code = 1 if report.failing() else 0
        report.detail = f"the suite ran in {len(parts)} runs of at most {limit:g}s"
    traced_runs = 0
    if deferred and report.failing():  # nothing fails: no localisation, no coverage needed
        subset = trace_subset(executor, report, options, deadline)
        report, traced_runs = subset.report, subset.runs
    return BaselineRun(report, len(parts), cut, traced_runs)


def _project_modules(project: Project) -> set[str]:
    mods = set()
    for name in project.files:
        parts = name.split("/")
        if parts[0] == "src" and len(parts) > 1:
            parts = parts[1:]
        mods.add(parts[0][:-3] if parts[0].endswith(".py") else parts[0])
    return mods


def environment_problem(report: TestReport, command: TestCommand, project: Project) -> str | None:
    """A baseline that fails for reasons outside the project is reported, not searched."""
    text = report.output + "\n".join(t.message for t in report.tests.values())
    if command.is_pytest and not report.tests and re.search(r"No module named '?pytest'?", text):
        return f"pytest is not installed for {command.python}: install it there or pass --test-cmd"
    internal = _project_modules(project)
    for name in re.findall(r"No module named '([\w.]+)'", text):
        top = name.split(".")[0]
        if top not in internal:
            return f"the tests import '{name}', which is not part of the project and not installed: install the project's dependencies first"
    return None


def targets_of(report: TestReport, command: TestCommand) -> list[str]:
    if not command.selects or (not command.is_pytest and not report.tests):
        # exit code only (or no per-test verdict came back): the command itself is the target
        return [WHOLE_COMMAND]
    return sorted(report.failing())


def repair_targets(
    base: TestReport,
    command: TestCommand,
    project: Project,
    options: SearchOptions,
    harness: Harness,
) -> list[str]:
    """The failing tests to repair, or the error that says why this baseline cannot be searched
    (the all-pass baseline is the caller's: nothing to repair)."""
    if base.status == Status.NO_TESTS:
        raise UsageError(
            f"no tests were collected in {project.root} (pytest exit 5); pass --test-cmd to say how to run them"
        )
    if base.exit_code in (126, 127):
        raise UsageError(f"test command not found: {command.display}")
    if base.status == Status.SANDBOX_ERROR:
        raise EnvironmentProblem(f"the sandbox could not run the tests: {base.detail}")
    problem = environment_problem(base, command, project) or broken_harness(base, harness)
    if problem:
        raise EnvironmentProblem(problem)
    targets = targets_of(base, command)
    if not targets and base.status == Status.TIMEOUT:
        # nothing ran to completion: the suite hangs while pytest collects (an import that
        # blocks or loops), or the first test outlives --test-timeout
        raise EnvironmentProblem(
            f"the tests did not finish within --test-timeout {options.test_timeout:g}s and no test "
            "result came back: the suite hangs at import or collection (or needs a larger "
            "--test-timeout); run `treefix test` to see where it stops"
        )
    if not targets:
        raise EnvironmentProblem(
            f"the test command failed ({base.status.value}, {base.detail}) but no test failed; see its output with `treefix test`"
        )
    return targets


def flaky_targets(
    executor: Executor,
    base: TestReport,
    targets: list[str],
    command: TestCommand,
    options: SearchOptions,
    deadline: float,
) -> list[str]:
    """Targets that pass when simply run again: not bugs to repair.

    A target the baseline killed at the per-test limit while it traced coverage is re-run too,
    last, untraced and with SLOW_RECHECK times the limit: line tracing makes a slow test several
    times slower (luigi's scheduler speed tests run 3-10x slower traced), and after a first hang
    the plugin gives the rest a quarter of the limit, so a slow test is no hang; kept as a target
    it would make every candidate fail. The re-run stops at its first real hang, so a bug that
    loops costs one more limit, not one per hanging test."""
    hung = [t for t in targets if base.tests.get(t) and "Timeout" in base.tests[t].message]
    rerun = [t for t in targets if t not in hung]
    per_test = options.per_test_timeout
    if hung and base.coverage is not None and base.traced is None:  # they hung traced
        rerun += hung
        per_test = min(per_test * SLOW_RECHECK, max(per_test, (deadline - time.monotonic()) / 2))
    if not command.selects or not rerun or time.monotonic() >= deadline:
        return []
    timeout = max(options.test_timeout, per_test * len(hung) + options.per_test_timeout)
    stop = bool(hung) and hung[-1] in rerun
    again = executor.run([Evaluation({}, rerun, timeout, per_test, stop_on_hang=stop)])[0]
    return [t for t in targets if t in again.tests and again.tests[t].outcome == "passed"]


def cut_and_flaky(cut: str, flaky: list[str]) -> str:
    """A cut baseline whose failures all passed when run again: the bug may be in what never ran."""
    return (
        f"no failure to repair among the tests that ran: the {len(flaky)} that failed pass when "
        f"run again (flaky or slow), and {cut}"
    )


def guards_of(report: TestReport, focus: list[Suspicion], targets: list[str]) -> list[str]:
    """Passing tests that execute the most suspicious lines: the likeliest to regress."""
    passing = report.passing()
    if report.coverage is None:
        return sorted(passing)[:MAX_GUARDS]
    top = {(s.path, s.line) for s in focus[:10]}
    scored = []
    for t in passing:
        lines = report.coverage.get(t, {})
        hits = sum(1 for p, ln in top if ln in lines.get(p, ()))
        if hits:
            scored.append((-hits, t))
    return [t for _, t in sorted(scored)[:MAX_GUARDS]]


def localise(
    language: Language,
    state: ProgramState,
    base: TestReport,
    targets: list[str],
    flaky: list[str],
    command: TestCommand,
) -> tuple[list[Suspicion], Baseline]:
    """Suspicious statements for the targets, and the baseline the search grades against."""
    focus = language.localize(state, base, targets)
    guards = guards_of(base, focus, targets) if command.is_pytest else []
    return focus, Baseline(base, targets, guards, flaky)


def resource_limit_problem(base: TestReport, focus: list[Suspicion]) -> str | None:
    """Killed by a sandbox limit before any frame or coverage came back: nothing to localise."""
    if focus or base.status not in (Status.OOM, Status.RESOURCE_LIMIT):
        return None
    setting = "sandbox-memory-mb" if base.status == Status.OOM else "sandbox-pids"
    return (
        f"the tests hit the sandbox's {'memory' if base.status == Status.OOM else 'process'} "
        f"limit ({base.detail}) and left nothing to localise; if the suite needs more, raise "
        f"{setting} in [tool.treefix] (see docs/SECURITY.md)"
    )
