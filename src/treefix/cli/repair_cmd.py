"""`treefix repair`: run the pipeline, write the run folder, write back, print, pick the exit code."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape

from treefix.cli.output import emit
from treefix.cli.render import RichEvents, final_panel
from treefix.cli.signals import received
from treefix.engine import RepairOptions, RepairRun, repair
from treefix.errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERRUPTED,
    EXIT_NO_FIX,
    EXIT_OK,
    EXIT_PROVIDER,
    ProviderError,
    TreefixError,
)
from treefix.report.folder import RunFolder
from treefix.report.summary import build_report, node_record
from treefix.sandbox.process import kill_all
from treefix.workspace.gitrepo import drop_snapshot
from treefix.workspace.writeback import WriteBackPlan, commit_message, preflight, recover_pending

EXIT_BY_STATUS = {
    "fixed": EXIT_OK,
    "nothing_to_repair": EXIT_OK,
    "no_fix": EXIT_NO_FIX,
    "interrupted": EXIT_INTERRUPTED,
    "provider_error": EXIT_PROVIDER,
}


def _write_folder(run: RepairRun, exit_code: int) -> dict:
    folder = RunFolder(run.project, run.run_id)
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


def _write_back(run: RepairRun, plan: WriteBackPlan) -> tuple[str | None, int | None]:
    """Carry out the write-back; (error message, exit code) when it was refused."""
    from treefix.workspace.writeback import WriteBackResult, write_back

    fix = run.result.fix
    files = sorted(fix.state.changed())
    message = commit_message(
        files,
        [c.description for c in fix.chain()],
        run.baseline.targets if run.baseline else [],
        run.run_id,
    )
    try:
        result = write_back(plan, run.project, run.git_snapshot, fix.state, message)
    except TreefixError as exc:
        run.write_back = WriteBackResult(plan.mode)
        run.write_back.error = str(exc)
        return str(exc), exc.exit_code
    run.write_back = result
    run.applied = result.applied
    return None, None


def run_repair(
    opts: RepairOptions,
    *,
    as_json: bool = False,
    verbose: bool = False,
    console: Console,
    fmt: str | None = None,
    output: str | None = None,
    plan: WriteBackPlan | None = None,
    trace_when_clean: bool = True,
    outcome: dict | None = None,
) -> int:
    fmt = fmt or ("json" if as_json else "text")
    plan = plan or WriteBackPlan.from_flags(opts.apply, None, False)
    unfinished = _unfinished_applies(opts.path)
    recovered = recover_pending(opts.path)
    if recovered:
        console.print(
            f"finished an interrupted --apply from its journal: {', '.join(recovered)}",
            highlight=False,
            markup=False,
        )
    elif unfinished:  # killed before its journal was committed: nothing had been written
        console.print(
            f"removed the leftovers of {unfinished} --apply interrupted before it wrote any file",
            highlight=False,
            markup=False,
        )
    preflight(plan, opts.path)
    events = RichEvents(console, verbose=verbose)
    run = RepairRun(opts)
    interrupted = False
    provider_error: ProviderError | None = None
    failure: TreefixError | None = None  # the sandbox or engine failed after the tests ran
    try:
        repair(opts, events, run)
    except KeyboardInterrupt:
        kill_all()  # the console script's signal handler has already stopped new runs
        interrupted = True
        run.status, run.message = (
            "interrupted",
            f"interrupted ({received() or 'Ctrl-C'}): partial report written",
        )
    except ProviderError as exc:
        provider_error = exc
        run.status, run.message = "provider_error", str(exc)
    except TreefixError as exc:
        if run.result is None:  # failed before the search: a one-line error and no trace
            _drop_snapshot(run)
            raise
        kill_all()
        failure = exc  # e.g. the Docker engine died mid-run: keep what the search found so far
        run.status, run.message = "error", f"{exc} (partial report)"
    except BaseException:
        _drop_snapshot(run)
        raise
    finally:
        events.stop()
    if run.project is None or (run.baseline_report is None and not interrupted):
        _drop_snapshot(run)
        if interrupted:
            raise KeyboardInterrupt
        if provider_error is not None:
            raise provider_error
        return EXIT_OK  # nothing ran: leave no trace
    code = failure.exit_code if failure else EXIT_BY_STATUS.get(run.status, EXIT_ENVIRONMENT)
    if outcome is not None:
        outcome["status"] = run.status
    if run.status == "nothing_to_repair" and not trace_when_clean:
        _drop_snapshot(run)  # a passing pre-commit check leaves nothing behind
        console.print(f"[green]{escape(run.message)}[/]")
        return code
    wb_error = None
    if plan.mode != "patch" and run.status == "fixed" and run.result and run.result.fix:
        wb_error, wb_code = _write_back(run, plan)
        if wb_error:
            code = wb_code
    report = _write_folder(run, code)
    console.print(final_panel(report))
    if wb_error:
        console.print(
            f"[bold red]treefix: error:[/] {escape(str(wb_error))}", highlight=False, soft_wrap=True
        )
    for err in (provider_error, failure):
        if err is not None:
            console.print(
                f"[bold red]treefix: error:[/] {escape(str(err))}", highlight=False, soft_wrap=True
            )
    if interrupted:
        console.print(_resume_hint(run, report), highlight=False, markup=False, soft_wrap=True)
    emit(report, fmt, output)
    return code


def _resume_hint(run: RepairRun, report: dict) -> str:
    """What an interrupted user needs: where the partial report is and how to carry on."""
    again = "run the same `treefix repair` command again: it starts from your working tree as it is then"
    if run.options.cache:
        again += f" and replays the model answers cached in {run.options.cache}"
    elif getattr(run.model, "gateway", None) is not None:
        again += " (add --cache DIR to replay model answers on later runs)"
    snap = f"; the tree it read is kept in {run.git_snapshot.ref}" if run.git_snapshot else ""
    return f"partial report: {report.get('run_dir')}/report.json; to resume, {again}{snap}"


def _unfinished_applies(path: str) -> int:
    from pathlib import Path

    from treefix.workspace.writeback import APPLY_DIR

    base = Path(path) / APPLY_DIR
    try:
        return sum(1 for d in base.iterdir() if not (d / "journal.json").exists())
    except OSError:
        return 0


def _drop_snapshot(run: RepairRun) -> None:
    """A run that never got to the tests leaves no trace, not even its snapshot ref."""
    drop_snapshot(run.project, run.git_snapshot)
