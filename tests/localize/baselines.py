"""The baseline a localisation test hands to `localize`: a failed run with these outcomes."""

from __future__ import annotations

from collections.abc import Iterable

from treefix.types import Status, TestOutcome, TestReport


def failed_run(
    outcomes: Iterable[TestOutcome], coverage: dict[str, dict[str, list[int]]] | None = None
) -> TestReport:
    return TestReport(
        status=Status.FAILED,
        exit_code=1,
        duration=0.1,
        tests={o.nodeid: o for o in outcomes},
        coverage=coverage,
    )
