"""The time limits of a run, derived from what the baseline measured (start-up = import +
collection, per-test durations) between a floor and a ceiling; --test-timeout and
--per-test-timeout stay the ceilings. A suite longer than one run's limit is split into shards:
the baseline continues a cut run with the tests it did not reach, and a validation runs the focus
first, then the rest in shards that each fit the limit."""

from __future__ import annotations

from dataclasses import dataclass, field

from treefix.pipeline.options import SearchOptions
from treefix.types import TestReport

PER_TEST_FLOOR = 1.0
RUN_FLOOR = 5.0
MARGIN = 5.0  # seconds on top of every estimate: sandbox sync, interpreter exit, a loaded machine
SHARD_MIN_SHARE = 0.5  # of a validation shard's limit, at least, for its tests


@dataclass
class Limits:
    startup: float  # measured: seconds from the start of the baseline to the end of collection
    per_test: float  # one test of a candidate or validation run
    candidate: float  # one focused candidate run
    validation: float  # the longest validation shard
    shards: int  # validation runs per plausible state (1: the whole suite in one run)
    baseline: float  # the limit of one baseline run
    baseline_runs: int = 1  # >1: the baseline was cut by its limit and continued
    baseline_cut: str = ""  # why some tests never ran in the baseline ("" : all ran)
    stop_on_hang: bool = True  # a candidate run ends at its first hang
    baseline_traced_runs: int = 0  # a large suite: untraced, then a subset traced in these runs
    plan: list[list[str]] = field(default_factory=list, repr=False)  # the shards' test ids

    def as_dict(self) -> dict:
        return {
            "startup": round(self.startup, 3),
            "per_test": round(self.per_test, 3),
            "candidate": round(self.candidate, 3),
            "validation": round(self.validation, 3),
            "validation_shards": self.shards,
            "baseline": round(self.baseline, 3),
            "baseline_runs": self.baseline_runs,
            "baseline_cut": self.baseline_cut or None,
            "stop_on_first_hang": self.stop_on_hang,
            "baseline_traced_runs": self.baseline_traced_runs,
        }

    def line(self) -> str:
        """For the header: every limit the run chose."""
        shards = f" in {self.shards} shards" if self.shards > 1 else ""
        base = f" (baseline in {self.baseline_runs} runs)" if self.baseline_runs > 1 else ""
        if self.baseline_traced_runs:
            base += f" (coverage from {self.baseline_traced_runs} traced run(s) of a subset)"
        return (
            f"limits: start-up {self.startup:.2f}s measured, per test {self.per_test:g}s, "
            f"candidate run {self.candidate:g}s"
            f"{' (stops at the first hang)' if self.stop_on_hang else ''}, validation "
            f"{self.validation:g}s{shards}{base}"
        )


def _expected(duration: float, per_test: float) -> float:
    """A generous estimate of one test's time in another run (never above its limit)."""
    return min(per_test, 2 * duration + 0.2)


def _run_limit(startup: float, tests: list[float], per_test: float, ceiling: float) -> float:
    # twice the start-up (a loaded machine), the tests, and room for one test to hang
    estimate = 2 * startup + sum(_expected(d, per_test) for d in tests) + per_test + MARGIN
    return round(min(ceiling, max(RUN_FLOOR, estimate)), 1)


def startup_of(base: TestReport) -> float:
    if base.startup is not None:
        return base.startup
    # no timestamp (plugin off, another runner): what the run spent outside the tests
    return max(0.0, base.duration - sum(t.duration for t in base.tests.values()))


def derive(
    base: TestReport,
    targets: list[str],
    focus: list[str] | None,
    options: SearchOptions,
    baseline_runs: int = 1,
    baseline_cut: str = "",
    baseline_traced_runs: int = 0,
) -> Limits:
    """`focus`: the tests a candidate runs (None: the command has no per-test selection)."""
    startup = startup_of(base)
    # a hanging target says nothing about how long a test should take: the passing ones do, and
    # so does a target that failed by itself (an assertion) before the limit: once fixed it runs
    # about as long, and a limit from the other tests alone cut luigi-11's fixed target on a
    # loaded machine (`timeout` after 1.76 s)
    slowest = max(
        (
            t.duration
            for n, t in base.tests.items()
            if n not in targets
            or t.outcome == "passed"
            or ("Timeout" not in t.message and t.duration < options.per_test_timeout)
        ),
        default=0.0,
    )
    per_test = round(min(options.per_test_timeout, max(PER_TEST_FLOOR, 3 * slowest + 0.5)), 2)
    ceiling = options.test_timeout

    def durations(ids: list[str]) -> list[float]:
        return [base.tests[n].duration if n in base.tests else per_test for n in ids]

    if focus is None:  # the whole command each time: its baseline duration is the estimate
        whole = min(ceiling, max(RUN_FLOOR, 2 * base.duration + MARGIN))
        return Limits(
            startup,
            per_test,
            whole,
            ceiling,
            1,
            ceiling,
            baseline_runs,
            baseline_cut,
            False,
            baseline_traced_runs=baseline_traced_runs,
        )
    candidate = _run_limit(startup, durations(focus), per_test, ceiling)
    plan = shards(base, focus, startup, per_test, ceiling)
    validation = (
        max(_run_limit(startup, durations(s), per_test, ceiling) for s in plan)
        if plan
        else candidate
    )
    if _run_limit(startup, durations(list(base.tests)), per_test, ceiling) < ceiling:
        plan = []  # the whole suite fits one run: validate it as the user runs it
        validation = ceiling
    return Limits(
        startup,
        per_test,
        candidate,
        validation,
        max(1, len(plan)),
        ceiling,
        baseline_runs,
        baseline_cut,
        True,
        baseline_traced_runs,
        plan,
    )


def shards(
    base: TestReport, focus: list[str], startup: float, per_test: float, ceiling: float
) -> list[list[str]]:
    """The focus first, then the rest of the baseline's tests, file by file (module fixtures run
    once per shard), packed so that each shard's estimate fits the ceiling."""
    # room for start-up twice, one hang and a margin; packed by measured durations (+20%). The
    # start-up measured is the whole suite's collection (traced): a shard collects its own files
    # only, so at least half the ceiling goes to tests (networkx's 54 s start-up on a loaded
    # machine left 1 s a shard: 452 shards, a validation longer than the search).
    room = ceiling - 2 * startup - per_test - min(MARGIN, 0.2 * ceiling)
    budget = max(1.0, room, SHARD_MIN_SHARE * ceiling)
    chosen = set(focus)
    out: list[list[str]] = [list(focus)] if focus else []
    by_file: dict[str, list[str]] = {}
    for nodeid in base.tests:
        if nodeid not in chosen:
            by_file.setdefault(nodeid.split("::")[0], []).append(nodeid)
    current: list[str] = []
    spent = 0.0
    for ids in by_file.values():
        for nodeid in ids:
            cost = 1.2 * base.tests[nodeid].duration + 0.05
            if current and spent + cost > budget:
                out.append(current)
                current, spent = [], 0.0
            current.append(nodeid)
            spent += cost
    if current:
        out.append(current)
    return out
