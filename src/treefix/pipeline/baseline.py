"""The stages before the search: the baseline run and what it rules out, the flaky check, and
localisation. Each is one function; the run record is filled in by the caller."""

from __future__ import annotations

import re
import time

from treefix.errors import EnvironmentProblem, UsageError
from treefix.pipeline.options import SearchOptions
from treefix.protocols import Evaluation, Executor, Language
from treefix.search.reward import WHOLE_COMMAND, Baseline
from treefix.testing.command import TestCommand
from treefix.testing.harness import Harness, broken_harness
from treefix.types import ProgramState, Status, Suspicion, TestReport
from treefix.workspace.snapshot import Project

MAX_GUARDS = 25


def run_baseline(executor: Executor, options: SearchOptions) -> TestReport:
    """The whole suite once, with coverage (the spectrum for localisation)."""
    full = Evaluation({}, None, options.test_timeout, options.per_test_timeout, coverage=True)
    return executor.run([full])[0]


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
    if not command.is_pytest:
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
    """Targets that pass when simply run again: not bugs to repair."""
    # a hang is not re-checked: re-running it would cost the whole per-test limit again
    rerun = [t for t in targets if not base.tests.get(t) or "Timeout" not in base.tests[t].message]
    if not command.is_pytest or not rerun or time.monotonic() >= deadline:
        return []
    again = executor.run([Evaluation({}, rerun, options.test_timeout, options.per_test_timeout)])[0]
    return [t for t in targets if t in again.tests and again.tests[t].outcome == "passed"]


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
