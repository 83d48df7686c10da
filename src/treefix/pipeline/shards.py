"""One report from several runs of parts of the suite (a continued baseline, a sharded
validation): the worst status decides, tests and coverage are the union."""

from __future__ import annotations

from treefix.testing.runner import WALL_CLOCK
from treefix.types import Status, TestReport

_OUTPUT_CAP = 1 << 20


def cut_by_limit(report: TestReport) -> bool:
    """Killed by the run's own wall-clock limit (not a per-test hang, not a crash)."""
    return report.status == Status.TIMEOUT and report.detail.startswith(WALL_CLOCK)


def merge_reports(parts: list[TestReport], continued: bool = False) -> TestReport:
    """`continued`: every part but the last was cut by its limit and carried on by the next, so
    their status does not count (the tests they did finish do)."""
    if len(parts) == 1:
        return parts[0]
    tests: dict = {}
    coverage: dict | None = None
    for p in parts:
        tests.update(p.tests)  # a later part re-ran the test an earlier one was killed in
        if p.coverage is not None:
            coverage = {**(coverage or {}), **p.coverage}
    judged = parts[-1:] if continued else parts
    worst = next((p for p in judged if p.status not in (Status.PASSED, Status.FAILED)), None)
    decider = worst or next((p for p in judged if p.status == Status.FAILED), judged[0])
    output = "\n".join(p.output for p in parts)[-_OUTPUT_CAP:]
    return TestReport(
        status=decider.status,
        exit_code=decider.exit_code,
        duration=sum(p.duration for p in parts),
        output=output,
        truncated=any(p.truncated for p in parts),
        tests=tests,
        coverage=coverage,
        detail=decider.detail
        + (f" ({len(parts)} runs)" if decider.detail else f"{len(parts)} runs"),
        startup=parts[0].startup,
        collected=parts[0].collected,
    )
