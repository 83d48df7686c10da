"""The second half of a large suite's baseline: per-test coverage for the tests localisation
needs, chosen within a time budget.

A suite that collects more than `trace_max_tests` tests (unset: AUTO_TRACE_MAX_TESTS, for every
tracer but sys.monitoring) runs its baseline without tracing: on Python 3.11 any trace function
costs >= 2.2x the CPU of networkx's algorithmic tests (its whole suite traced by the C tracer:
1.96x the bare suite), so a traced whole suite cannot stay within 1.5x of the bare one. Then,
from that run's outcomes and durations:

  1. the failing tests, then the passing tests of their files, traced in one run;
  2. the passing tests likeliest to share code with the failing ones, traced in a second run:
     test modules named after the source modules the failing tests executed, then test modules
     next to them (the same folder, or its tests/ folder), then the rest by how much of their
     folder path they share with those modules. Within each group, modules holding lines the
     failing tests ran that no traced passing test ran yet come first: those lines are where
     a missing passing test would make Ochiai point wrongly.

Both runs together stay within (baseline_trace_ratio - 1) x the untraced run's seconds, planned
as TRACE_SLOWDOWN x the tests' measured durations plus each run's share of the start-up; each run
also stops itself at what is left of the budget, keeping the coverage of the tests it finished.
The failing tests are always traced, and the passing tests of their files up to as much again
as the failing ones' own estimate. Tests outside the subset have no coverage: the spectrum leaves
them out (spectrum.py) instead of counting them as passing tests that ran no line.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from treefix.code.testfiles import is_test_file
from treefix.pipeline.limits import MARGIN, RUN_FLOOR, startup_of
from treefix.pipeline.options import SearchOptions
from treefix.protocols import Evaluation, Executor
from treefix.testing.results import KILLED_WHILE_RUNNING
from treefix.types import TestReport

# trace-max-tests unset: the cap for the slow tracers. networkx 3.2.1's whole suite, CPU against
# the bare suite (bench/plugin_cost.py): every test traced by the C tracer on Python 3.11 1.96x,
# by sys.monitoring on 3.12 1.08x; so only sys.monitoring traces a large suite whole within
# baseline-trace-ratio 1.5.
AUTO_TRACE_MAX_TESTS = 1000
# traced / untraced time of the same tests: coverage.py's C tracer took 2.9x the CPU of networkx's
# flow/ tests, settrace 4.2x, a no-op trace function 2.2x (Python 3.11); sys.monitoring (3.12+)
# costs less. A plan made with 3x fits the budget on most suites; the runs' own stop is the cap.
TRACE_SLOWDOWN = 3.0
# of the untraced run's start-up, what any run pays whatever it collects (interpreter, pytest,
# the package's own import); the rest is collection, paid per test file
STARTUP_FIXED = 0.2


def trace_cap(options: SearchOptions) -> int:
    """The collected-test count above which the baseline's first run traces nothing."""
    if options.trace_max_tests is None:
        return AUTO_TRACE_MAX_TESTS
    return options.trace_max_tests


@dataclass
class TracedSubset:
    report: TestReport  # the baseline with the subset's coverage (outcomes: the untraced run's)
    runs: int  # traced runs made (0, 1 or 2)
    seconds: float  # their wall time
    budget: float  # what they were planned within


def _file(nodeid: str) -> str:
    return nodeid.split("::")[0]


def _costs(base: TestReport) -> dict[str, float]:
    """Each test's untraced seconds: its call, plus an even share of what the run spent outside
    calls and start-up (set-up and teardown, fixtures)."""
    calls = sum(t.duration for t in base.tests.values())
    rest = max(0.0, base.duration - startup_of(base) - calls) / max(1, len(base.tests))
    return {n: t.duration + rest for n, t in base.tests.items()}


@dataclass
class _Plan:
    """A traced run being planned: tests added while the estimate fits."""

    cost: Mapping[str, float]
    startup: float
    files_total: int
    chosen: list[str] = dataclasses.field(default_factory=list)
    files: set[str] = dataclasses.field(default_factory=set)
    estimate: float = 0.0

    def __post_init__(self) -> None:
        self.estimate = TRACE_SLOWDOWN * self.startup * STARTUP_FIXED

    def add(self, tests: Iterable[str], budget: float, force: bool = False) -> None:
        per_file = TRACE_SLOWDOWN * self.startup * (1 - STARTUP_FIXED) / max(1, self.files_total)
        for n in tests:
            f = _file(n)
            extra = TRACE_SLOWDOWN * self.cost.get(n, 0.0) + (0.0 if f in self.files else per_file)
            if not force and self.estimate + extra > budget:
                continue  # a cheaper test further on may still fit
            self.chosen.append(n)
            self.files.add(f)
            self.estimate += extra


def _source_lines(
    coverage: Mapping[str, Mapping[str, Iterable[int]]], tests: Iterable[str]
) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for t in tests:
        for path, lines in (coverage.get(t) or {}).items():
            if not is_test_file(path):
                out.setdefault(path, set()).update(lines)
    return out


def _folder(path: str) -> list[str]:
    return path.split("/")[:-1]


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    name = name[:-3] if name.endswith(".py") else name
    if name == "__init__":  # a package's own module: named after its folder
        parts = _folder(path)
        return parts[-1] if parts else name
    return name


def _subject(test_file: str) -> str:
    """What a test module is named after: test_dag.py, dag_test.py, tests_dag.py -> dag."""
    stem = _stem(test_file)
    for prefix in ("tests_", "test_"):
        if stem.startswith(prefix):
            return stem[len(prefix) :]
    for suffix in ("_tests", "_test"):
        if stem.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def _relation(test_file: str, module: str) -> tuple[int, int]:
    """(0 named after the module, 1 next to it, 2 neither; folders shared), smaller is closer."""
    subject, name = _subject(test_file), _stem(module)
    test_dir, mod_dir = _folder(test_file), _folder(module)
    shared = 0
    for a, b in zip(test_dir, mod_dir, strict=False):
        if a != b:
            break
        shared += 1
    if subject == name or subject.startswith(name + "_"):
        return 0, shared
    home = test_dir[:-1] if test_dir and test_dir[-1] in ("tests", "test") else test_dir
    return (1 if home == mod_dir else 2), shared


def related_order(
    candidates: list[str], executed: Mapping[str, set[int]], covered: Mapping[str, set[int]]
) -> list[str]:
    """`candidates` (passing test ids) ordered by how likely their file shares code with the
    failing tests, which executed `executed` ({source path: lines}); `covered` is what traced
    passing tests already ran."""
    need = {m: len(lines - covered.get(m, set())) for m, lines in executed.items()}
    by_file: dict[str, list[str]] = {}
    for n in candidates:
        by_file.setdefault(_file(n), []).append(n)

    def key(test_file: str) -> tuple:
        best = min(
            (
                (kind, 0 if need[m] else 1, -shared, -need[m])
                for m in executed
                for kind, shared in [_relation(test_file, m)]
            ),
            default=(3, 1, 0, 0),
        )
        return (*best, test_file)

    return [n for f in sorted(by_file, key=key) for n in by_file[f]]


def _finished(report: TestReport) -> set[str]:
    return {n for n, t in report.tests.items() if t.message != KILLED_WHILE_RUNNING}


def _run(executor: Executor, tests: list[str], left: float, options: SearchOptions) -> TestReport:
    """One traced run that stops itself when `left` seconds are spent (the plugin stops between
    tests once its budget, the limit minus one per-test limit, is gone)."""
    per_test = options.per_test_timeout
    timeout = min(options.test_timeout, max(RUN_FLOOR, left) + per_test + 2.0)
    ev = Evaluation({}, tests, timeout, per_test, coverage=True, list_tests=True)
    return executor.run([ev])[0]


def trace_subset(
    executor: Executor, base: TestReport, options: SearchOptions, deadline: float
) -> TracedSubset:
    """The untraced baseline `base` with the coverage of a traced subset (see the module doc)."""
    budget = max(0.0, (options.baseline_trace_ratio - 1.0) * base.duration)
    cost = _costs(base)
    startup = startup_of(base)
    files_total = len({_file(n) for n in base.tests})
    failing = base.failing()
    passing = base.passing()
    first = _Plan(cost, startup, files_total)
    first.add(failing, budget, force=True)  # localisation needs them whatever they cost
    failing_files = {_file(n) for n in failing}
    # their files' passing tests may take as much again as the failing ones, whatever the
    # budget: the run's start-up is paid anyway, and without passing tests Ochiai scores every
    # line the failing tests ran alike
    first.add([n for n in passing if _file(n) in failing_files], max(budget, 2 * first.estimate))
    runs: list[TestReport] = []
    if time.monotonic() + MARGIN < deadline:
        runs.append(_run(executor, first.chosen, max(budget, first.estimate), options))
    coverage: dict = dict(runs[0].coverage or {}) if runs else {}
    spent = sum(r.duration for r in runs)
    left = budget - spent
    traced = _finished(runs[0]) if runs and runs[0].coverage is not None else set()
    executed = _source_lines(coverage, failing)
    rest = [n for n in passing if n not in traced and n not in first.chosen]
    if runs and executed and rest and left >= RUN_FLOOR and time.monotonic() + left < deadline:
        covered = _source_lines(coverage, [n for n in passing if n in traced])
        second = _Plan(cost, startup, files_total)
        second.add(related_order(rest, executed, covered), left)
        if second.chosen:
            runs.append(_run(executor, second.chosen, left, options))
            if runs[-1].coverage is not None:
                coverage.update(runs[-1].coverage)
                traced |= _finished(runs[-1])
    seconds = sum(r.duration for r in runs)
    report = dataclasses.replace(
        base,
        coverage=coverage or None,
        duration=base.duration + seconds,
        traced=len(traced & set(base.tests)),
        coverage_note=_note(base, traced, runs, budget, options),
    )
    return TracedSubset(report, len(runs), seconds, budget)


def _why_capped(options: SearchOptions) -> str:
    if options.trace_max_tests is not None:
        return ""
    return " (the default for a tracer slower than sys.monitoring: tracing all would cost 2-4x)"


def _note(
    base: TestReport,
    traced: set[str],
    runs: list[TestReport],
    budget: float,
    options: SearchOptions,
) -> str:
    lost = "; ".join(r.coverage_note for r in runs if r.coverage_note)
    total = len(base.tests)
    n = len(traced & set(base.tests))
    head = (
        f"per-test coverage covers {n} of {total} tests: the suite has more than "
        f"trace-max-tests {trace_cap(options)}{_why_capped(options)}, so the baseline ran it untraced "
        f"({base.duration:.0f}s), then traced the failing tests and those likeliest to share "
        f"their code in {len(runs)} run(s) of {sum(r.duration for r in runs):.0f}s (budget "
        f"{budget:.0f}s: baseline-trace-ratio {options.baseline_trace_ratio:g} x the untraced run)"
    )
    return f"{head}; {lost}" if lost else head
