"""`treefix check`: the pre-commit hook. Runs the tests; when they fail, searches offline with a
small budget and prints the fix it would make. Never writes the user's files unless --fix."""

from __future__ import annotations

from rich.console import Console

from treefix.cli.repair_cmd import run_repair
from treefix.config import resolve
from treefix.workspace.writeback import WriteBackPlan

HINT = (
    "treefix: the tests fail. To write the fix above: "
    "`pre-commit run treefix-fix --hook-stage manual` or `treefix repair --apply`"
)


def run_check(
    path: str, cli: dict, *, fix: bool, fmt: str, output: str | None, console: Console
) -> int:
    settings = resolve(path, cli, command="check")
    plan = WriteBackPlan("apply" if fix else "patch")
    outcome = run_repair(
        settings.options(path, plan=plan, hook=True), console=console, fmt=fmt, output=output
    )
    if outcome.status == "fixed" and not fix:  # the tests still fail: say how to write the fix
        console.print(HINT, highlight=False, soft_wrap=True)
    return outcome.exit_code
