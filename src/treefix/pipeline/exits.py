"""Exit codes, decided here: a run's status maps to its code; an error carries its own
(errors.py); `treefix check` turns a fix found into a failed commit."""

from __future__ import annotations

from treefix.errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERRUPTED,
    EXIT_NO_FIX,
    EXIT_OK,
    EXIT_PROVIDER,
    TreefixError,
)

EXIT_BY_STATUS = {
    "fixed": EXIT_OK,
    "nothing_to_repair": EXIT_OK,
    "no_fix": EXIT_NO_FIX,
    "interrupted": EXIT_INTERRUPTED,
    "provider_error": EXIT_PROVIDER,
}


def run_exit_code(status: str, failure: TreefixError | None = None) -> int:
    """The code report.json records for a run."""
    if failure is not None:
        return failure.exit_code
    return EXIT_BY_STATUS.get(status, EXIT_ENVIRONMENT)


def process_exit_code(code: int, status: str, hook: bool) -> int:
    """What the process exits with. The pre-commit hook fails a commit whose tests fail, even
    when it found (and with --fix wrote) a fix: pre-commit then lists the changed files."""
    if hook and code == EXIT_OK and status == "fixed":
        return EXIT_NO_FIX
    return code
