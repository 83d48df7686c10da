"""Turns a focused test run into a reward in [0, 1] relative to the baseline."""

from __future__ import annotations

from dataclasses import dataclass, field

from treefix.search.distance import assertion_distance
from treefix.types import Status, TestOutcome, TestReport

PARTIAL_EXCEPTION_TO_ASSERTION = 0.3  # crashed before, now gets as far as an assertion
PARTIAL_MESSAGE_CHANGED = 0.05  # something moved, weakly: many wrong edits do this too
# a still-failing `assert actual == expected` whose actual value moved toward the expected one
# earns up to this much, in proportion to the share of the baseline's distance it closed: less
# than half a passing target, so climbing never outranks a fix, but far above "message changed",
# so the tree deepens under an edit that got closer (a two-edit fix found one edit at a time)
PARTIAL_CLOSER = 0.45
REGRESSION_FACTOR = 0.4  # breaking a passing test costs more than fixing a target earns
WHOLE_COMMAND = "<test command>"  # the single pseudo-target of a non-pytest command


@dataclass
class Baseline:
    report: TestReport
    targets: list[str]  # failing test ids the fix must turn green (flaky ones removed)
    guards: list[str] = field(default_factory=list)  # passing tests watched for regressions
    flaky: list[str] = field(default_factory=list)

    def focus(self) -> list[str]:
        """Targets and guards in the order the baseline ran them: a focused run that puts the
        targets first breaks order-dependent suites (a target that leaves state behind, such
        as a dependency override, now runs before the guard it breaks: a false regression
        that rejects the right fix). Ids the baseline did not list (a file target) lead."""
        order = {t: i for i, t in enumerate(self.report.tests)}
        return sorted([*self.targets, *self.guards], key=lambda t: order.get(t, -1))


@dataclass
class Score:
    reward: float
    fixed: int  # targets now passing
    regressions: list[str]
    plausible: bool  # every target passes, no watched test broke


def _is_file_target(nodeid: str) -> bool:
    return "::" not in nodeid and nodeid.endswith(".py")


def _target_score(target: str, now: TestReport, before: TestOutcome | None) -> tuple[float, bool]:
    if target == WHOLE_COMMAND:
        return (1.0, True) if now.status == Status.PASSED else (0.0, False)
    if _is_file_target(target):  # a module that failed to collect: credit the tests it now runs
        inside = [t for n, t in now.tests.items() if n.startswith(target + "::")]
        if target in now.tests and now.tests[target].outcome == "error" or not inside:
            return 0.0, False
        passed = sum(t.outcome == "passed" for t in inside)
        return max(0.2, passed / len(inside)), passed == len(inside)
    out = now.tests.get(target)
    if out is None:
        return 0.0, False
    if out.outcome == "passed":
        return 1.0, True
    if before is None:
        return 0.0, False
    if before.exc_type not in ("", "AssertionError") and out.exc_type == "AssertionError":
        return PARTIAL_EXCEPTION_TO_ASSERTION, False
    closer = closer_credit(before.message, out.message)
    if closer > 0:
        return closer, False
    if out.message and out.message != before.message:
        return PARTIAL_MESSAGE_CHANGED, False
    return 0.0, False


def closer_credit(before: str, now: str) -> float:
    """Credit for an equality assertion that still fails but whose actual value moved toward
    the expected one: PARTIAL_CLOSER x the share of the baseline's distance closed."""
    if not now or now == before:
        return 0.0
    d0, d1 = assertion_distance(before), assertion_distance(now)
    if d0 is None or d1 is None or d0 <= 0 or d1 >= d0:
        return 0.0
    return round(PARTIAL_CLOSER * (d0 - d1) / d0, 6)


def score(now: TestReport, baseline: Baseline) -> Score:
    if now.status in (Status.SANDBOX_ERROR, Status.NO_TESTS):
        return Score(0.0, 0, [], False)
    parts = [_target_score(t, now, baseline.report.tests.get(t)) for t in baseline.targets]
    fixed = sum(ok for _, ok in parts)
    base = sum(s for s, _ in parts) / max(1, len(parts))
    # a watched test that passed and is now skipped is a regression too: a candidate must not
    # make tests skip themselves (a source raising SkipTest, a conftest skipping everything)
    regressions = [
        g
        for g in baseline.guards
        if g in now.tests and now.tests[g].outcome in ("failed", "error", "skipped")
    ]
    if now.status == Status.ERROR and not now.tests:
        regressions = list(baseline.guards)
    if regressions:
        base *= REGRESSION_FACTOR * (1.0 - len(regressions) / (len(baseline.guards) + 1))
    plausible = fixed == len(parts) and not regressions and now.status == Status.PASSED
    return Score(round(base, 6), fixed, regressions, plausible)


def regressions_against(full: TestReport, baseline: Baseline) -> tuple[list[str], list[str]]:
    """On a full-suite run: tests that passed in the baseline and do not pass now (failed, error,
    skipped or gone: per-test results are compared with the baseline, so a fix cannot make a test
    vanish or skip), and targets still failing."""
    before = baseline.report.tests
    regressed = [
        n
        for n, t in before.items()
        if t.outcome == "passed" and (n not in full.tests or full.tests[n].outcome != "passed")
    ]
    still = [t for t in baseline.targets if not _target_score(t, full, before.get(t))[1]]
    return sorted(regressed), still
