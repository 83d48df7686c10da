"""Why localisation came back empty, and what the user can do about it.

An empty ranking gives the proposers nothing to edit: searching would end at once with "search
space exhausted, 0 evaluations", which reads as "treefix tried and failed". The run stops instead
(EnvironmentProblem, exit 3) with the reason found here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from treefix.code.testfiles import is_test_file
from treefix.types import TestReport


@dataclass(frozen=True)
class HarnessView:
    """What the test harness could observe (filled from testing.harness.Harness by the caller)."""

    is_pytest: bool
    plugin: bool  # treefix's pytest plugin ran (frames, per-test coverage)
    problem: str = ""  # why it did not


def _ran_source(report: TestReport, targets: Sequence[str]) -> bool:
    """Some failing test executed a line of a project file that is not a test file."""
    cov = report.coverage or {}
    return any(
        not is_test_file(path) for t in targets for path in (cov.get(t) or {}) if isinstance(t, str)
    )


def explain_empty(report: TestReport, targets: Sequence[str], harness: HarnessView) -> str:
    """One paragraph: what was missing, then what to do."""
    head = (
        "localisation found no suspicious line in the project's source, so nothing was searched: "
    )
    if not harness.is_pytest:
        return head + (
            "the test command is not pytest, so treefix gets no per-test coverage, and its output "
            "has no traceback into the project's source files. Run the tests through pytest "
            "(--test-cmd 'python -m pytest ...', which also collects unittest and nose-style "
            "tests) so treefix can trace which lines the failing tests run."
        )
    collect = [t for t in targets if "::" not in t]
    if collect and len(collect) == len(targets):
        return head + (
            f"the failures are errors while collecting test files ({', '.join(collect[:3])}), "
            "outside the project's source. Fix the test files or their imports first "
            "(`treefix test` shows the errors)."
        )
    if not harness.plugin:
        return head + (
            f"treefix's pytest plugin could not run ({harness.problem or 'it did not load'}), "
            "so there is no per-test coverage, and the failures' tracebacks end in test files. "
            "Run the tests with Python 3.6+ and pytest 4.6+ (see README, Supported environments)."
        )
    cov = report.coverage or {}
    if not any(t in cov for t in targets):
        return head + (
            "no per-test coverage came back for the failing tests (the run was cut short: "
            f"{report.status.value}, {report.detail or 'no detail'}) and their tracebacks end in "
            "test files. Check the run with `treefix test`, or raise --test-timeout."
        )
    if not _ran_source(report, targets):
        return head + (
            "the failing tests ran no line of the project's own source files (only test files). "
            "When the project is installed into its environment (site-packages), the tests "
            "exercise that copy, not this tree: install it in editable mode (pip install -e .) or "
            "run the tests from the project root so they import this tree."
        )
    return head + (
        "the failing tests ran project code only outside functions (module or class bodies, "
        "which run once at import) and their tracebacks end in test files: treefix repairs "
        "statements inside functions. Check the failure with `treefix test`."
    )
