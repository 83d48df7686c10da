"""`treefix repair`: run the pipeline, write the run folder, print the result, pick the exit code."""

from __future__ import annotations

import json

from rich.console import Console

from treefix.cli.render import RichEvents, final_panel
from treefix.engine import RepairOptions, RepairRun, repair
from treefix.errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERRUPTED,
    EXIT_NO_FIX,
    EXIT_OK,
    EXIT_PROVIDER,
    ProviderError,
)
from treefix.report.folder import RunFolder
from treefix.report.summary import build_report, node_record
from treefix.sandbox.process import kill_all

EXIT_BY_STATUS = {
    "fixed": EXIT_OK,
    "nothing_to_repair": EXIT_OK,
    "no_fix": EXIT_NO_FIX,
    "interrupted": EXIT_INTERRUPTED,
    "provider_error": EXIT_PROVIDER,
}


def _write_folder(run: RepairRun, exit_code: int) -> dict:
    folder = RunFolder(run.project)
    try:
        if run.result:
            for node in run.result.trajectory:
                folder.trajectory(node_record(node))
        gateway = getattr(run.model, "gateway", None)
        for record in gateway.records if gateway is not None else ():
            folder.trajectory(record)  # prompt hash, response, usage, cost of every model call
        report = build_report(run, folder.id, str(folder.path), exit_code)
        if report.get("fix"):
            folder.write("fix.patch", report["fix"]["patch"])
        folder.write("report.json", json.dumps(report, indent=2) + "\n")
    finally:
        folder.close()
    return report


def run_repair(opts: RepairOptions, *, as_json: bool, verbose: bool, console: Console) -> int:
    events = RichEvents(console, verbose=verbose)
    run = RepairRun(opts)
    interrupted = False
    provider_error: ProviderError | None = None
    try:
        repair(opts, events, run)
    except KeyboardInterrupt:
        kill_all()
        interrupted = True
        run.status, run.message = "interrupted", "interrupted: partial report written"
    except ProviderError as exc:
        provider_error = exc
        run.status, run.message = "provider_error", str(exc)
    finally:
        events.stop()
    if run.project is None or (run.baseline_report is None and not interrupted):
        if interrupted:
            raise KeyboardInterrupt
        if provider_error is not None:
            raise provider_error
        return EXIT_OK  # nothing ran: leave no trace
    code = EXIT_BY_STATUS.get(run.status, EXIT_ENVIRONMENT)
    apply_error = None
    if opts.apply and run.status == "fixed" and run.result and run.result.fix:
        from treefix.workspace.writeback import WriteBackRefused, apply_fix

        try:
            run.applied = apply_fix(run.project, run.result.fix.state)
        except WriteBackRefused as exc:
            apply_error, code = str(exc), exc.exit_code
    report = _write_folder(run, code)
    console.print(final_panel(report))
    if apply_error:
        console.print(f"[bold red]treefix: error:[/] {apply_error}")
    if provider_error is not None:
        console.print(
            f"[bold red]treefix: error:[/] {provider_error}", highlight=False, soft_wrap=True
        )
    if as_json:
        print(json.dumps(report, indent=2))
    return code
