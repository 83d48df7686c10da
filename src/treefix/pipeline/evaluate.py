"""The search's evaluation stage: states -> test reports, run as one batch on the Executor.
Candidates run the focused tests (targets + guards) under a timeout sized from the baseline;
plausible ones are validated on the whole suite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from treefix.pipeline.options import SearchOptions
from treefix.protocols import Evaluation, Executor, Language
from treefix.types import ProgramState, Suspicion, TestOutcome, TestReport

CANDIDATE_MIN_TIMEOUT = 5.0


def candidate_timeouts(
    base: TestReport, targets: list[str], options: SearchOptions
) -> tuple[float, float]:
    """(per-test, whole run) limits for a focused candidate run: a few times the slowest test
    that passed, never above the user's limits."""
    slowest = max(
        (
            t.duration
            for t in base.tests.values()
            if t.nodeid not in targets or t.outcome == "passed"
        ),
        default=0.0,
    )
    per_test = min(options.per_test_timeout, max(1.0, 3 * slowest + 0.5))
    whole = min(options.test_timeout, max(CANDIDATE_MIN_TIMEOUT, per_test * (len(targets) + 1) + 5))
    return per_test, whole


@dataclass
class CandidateRuns:
    executor: Executor
    focus_tests: list[str] | None  # None: the test command has no per-test selection
    per_test: float
    timeout: float
    options: SearchOptions  # the full-suite validations run under the user's limits
    durations: list[float] = field(default_factory=list)  # focused runs, for the report

    def __call__(self, states: list[ProgramState], full: list[bool]) -> list[TestReport]:
        batch = [
            Evaluation(st.changed(), None, self.options.test_timeout, self.options.per_test_timeout)
            if whole
            else Evaluation(st.changed(), self.focus_tests, self.timeout, self.per_test)
            for st, whole in zip(states, full, strict=True)
        ]
        reports = self.executor.run(batch)
        self.durations += [r.duration for r, whole in zip(reports, full, strict=True) if not whole]
        return reports


def relocalizer(
    language: Language, state: ProgramState, base: TestReport, targets: list[str]
) -> Callable[[TestReport], list[Suspicion]] | None:
    """Ochiai again with a state's outcomes over the baseline's coverage (no extra run); only
    when the baseline has coverage."""
    if not base.coverage:
        return None

    def relocalize(report: TestReport) -> list[Suspicion]:
        merged = dict(base.tests)
        for nodeid, outcome in report.tests.items():
            merged[nodeid] = TestOutcome(nodeid, outcome.outcome, outcome.message, outcome.duration)
        still = [t for t in targets if t not in merged or merged[t].outcome != "passed"] or targets
        synthetic = TestReport(
            report.status, report.exit_code, report.duration, tests=merged, coverage=base.coverage
        )
        return language.localize(state, synthetic, still)

    return relocalize
