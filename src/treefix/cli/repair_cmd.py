"""`treefix repair` and `treefix check` output: run the pipeline with live progress on stderr,
then the final panel, the errors, the resume hint, and the chosen format on stdout or a file."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from treefix.cli import signals
from treefix.cli.output import emit
from treefix.cli.render import RichEvents, final_panel
from treefix.pipeline.cancel import Interrupt
from treefix.pipeline.main import RunOutcome, run
from treefix.pipeline.options import RunOptions


def run_repair(
    opts: RunOptions,
    *,
    console: Console,
    fmt: str = "text",
    output: str | None = None,
    verbose: bool = False,
) -> RunOutcome:
    interrupt = Interrupt()
    signals.watch(interrupt)  # Ctrl-C, SIGTERM and SIGHUP now stop this run's executor
    try:
        outcome = run(opts, RichEvents(console, verbose=verbose), interrupt)
    finally:
        signals.watch(None)
    show(outcome, console, fmt, output)
    return outcome


def show(outcome: RunOutcome, console: Console, fmt: str, output: str | None) -> None:
    report = outcome.report
    if report is None:
        if outcome.status == "nothing_to_repair":  # a passing hook run: one line, no trace
            console.print(f"[green]{escape(outcome.message)}[/]")
        return
    console.print(final_panel(report))
    for error in outcome.errors:
        console.print(
            f"[bold red]treefix: error:[/] {escape(error)}", highlight=False, soft_wrap=True
        )
    if outcome.resume:
        console.print(outcome.resume, highlight=False, markup=False, soft_wrap=True)
    emit(report, fmt, output)
