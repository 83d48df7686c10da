"""The search's evaluation stage: states -> test reports, run as one batch on the Executor.
Candidates run the focused tests (targets + guards) under limits derived from the baseline
(pipeline/limits.py); plausible ones are validated on the whole suite, in shards when it is long."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from treefix.pipeline.limits import Limits
from treefix.pipeline.options import SearchOptions
from treefix.pipeline.shards import merge_reports
from treefix.protocols import Evaluation, Executor, Language
from treefix.types import ProgramState, Suspicion, TestOutcome, TestReport


@dataclass
class CandidateRuns:
    executor: Executor
    focus_tests: list[str] | None  # None: the test command has no per-test selection
    limits: Limits
    options: SearchOptions  # the full-suite validations run under the user's limits
    durations: list[float] = field(default_factory=list)  # focused runs, for the report

    def _batch(self, state: ProgramState, whole: bool) -> list[Evaluation]:
        lim, changed = self.limits, state.changed()
        if not whole:
            return [
                Evaluation(
                    changed,
                    self.focus_tests,
                    lim.candidate,
                    lim.per_test,
                    stop_on_hang=lim.stop_on_hang,
                )
            ]
        if lim.plan:  # a suite longer than one run: the focus, then the rest in shards
            return [
                Evaluation(changed, s, lim.validation, self.options.per_test_timeout)
                for s in lim.plan
            ]
        return [Evaluation(changed, None, self.options.test_timeout, self.options.per_test_timeout)]

    def __call__(self, states: list[ProgramState], full: list[bool]) -> list[TestReport]:
        batch: list[Evaluation] = []
        spans: list[tuple[int, int]] = []
        for st, whole in zip(states, full, strict=True):
            evs = self._batch(st, whole)
            spans.append((len(batch), len(evs)))
            batch += evs
        reports = self.executor.run(batch)  # shards of one validation run side by side
        merged = [merge_reports(reports[i : i + n]) for i, n in spans]
        self.durations += [r.duration for r, whole in zip(merged, full, strict=True) if not whole]
        return merged


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
