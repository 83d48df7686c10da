"""The baseline a localisation test hands to `localize`: a failed run with these outcomes."""

from __future__ import annotations

from collections.abc import Iterable

from treefix.types import Status, TestOutcome, TestReport


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the first line of `text` holding `needle`."""
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in source")


def one_failing_among_passing(
    target: str, path: str, message: str, failing_line: int, shared: list[int], passing: list[int]
) -> TestReport:
    """`target` fails at `failing_line` of `path` (its traceback ends there); four passing tests
    of its file run `shared` and `passing` there; the target runs `shared` and its failing line."""
    test = target.split("::")[0]
    frames = [(test, 3), (path, failing_line)]
    outcomes = [TestOutcome(target, "failed", message, frames=frames)]
    coverage = {target: {path: [*shared, failing_line]}}
    for n in range(4):
        nodeid = f"{test}::test_passing_{n}"
        coverage[nodeid] = {path: [*shared, *passing]}
        outcomes.append(TestOutcome(nodeid, "passed"))
    return failed_run(outcomes, coverage)


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
