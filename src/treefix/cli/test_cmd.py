"""`treefix test`: one sandboxed run of the suite, classified."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from treefix.errors import EXIT_NO_FIX, EXIT_OK, UsageError
from treefix.pipeline.options import RunOptions
from treefix.pipeline.summary import test_report_dict
from treefix.report.folder import new_run_id
from treefix.sandbox.backends import backend, choose_sandbox, make_sandboxes
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import Status
from treefix.workspace.snapshot import snapshot


def run_test(options: RunOptions, as_json: bool, console: Console) -> int:
    """One run in the sandbox `--sandbox` selects, as `treefix repair`'s baseline would."""
    box, search, workflow = options.sandbox, options.search, options.workflow
    project = snapshot(workflow.path)
    kind, image = choose_sandbox(
        box.sandbox, project, box.image, console.print, workflow.test_cmd
    )
    command = detect_test_command(project.root, workflow.test_cmd, python=backend(kind).python)
    sandbox = make_sandboxes(kind, project, 1, new_run_id(), image, box)[0]
    try:
        console.print(
            f"[bold]treefix[/] testing [cyan]{escape(str(project.root))}[/] with [green]{escape(command.display)}[/]\n  isolation: {escape(sandbox.isolation)}"
        )
        # one run: nothing for a warm server to save
        report = TestRunner(command, mode="cold").run(
            sandbox,
            {},
            None,
            timeout=search.test_timeout,
            per_test_timeout=search.per_test_timeout,
        )
    finally:
        sandbox.close()
    if report.exit_code in (126, 127):
        raise UsageError(f"test command not found: {command.display}")
    table = Table("test", "outcome", "message", show_edge=False)
    for nodeid in report.failing():
        t = report.tests[nodeid]
        table.add_row(escape(nodeid), t.outcome, escape(t.message[:120]))
    if report.failing():
        console.print(table)
    console.print(
        f"status: [bold]{report.status.value}[/] (exit code {report.exit_code}, {escape(report.detail)}) "
        f"{len(report.passing())} passed, {len(report.failing())} failing in {report.duration:.2f}s"
    )
    if report.status not in (Status.PASSED, Status.FAILED) and not report.failing():
        console.print(report.tail(20), markup=False, highlight=False)
    if as_json:
        print(json.dumps(test_report_dict(report), indent=2))
    return EXIT_OK if report.status == Status.PASSED else EXIT_NO_FIX
