"""The `treefix` command line: argument parsing, then the pipeline (treefix.pipeline.main.run) for
`repair` and `check`. Exit codes are decided in treefix.pipeline.exits and errors.py:

0 fixed or nothing to fix · 1 no fix within budget · 2 usage error · 3 environment/sandbox error
· 4 model provider error · 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from treefix import __version__
from treefix.cli import options as opt
from treefix.cli import signals
from treefix.cli.console import fail
from treefix.cli.console import stderr_console as _stderr
from treefix.cli.output import pick_format
from treefix.cli.sandbox_cmd import app as sandbox_app
from treefix.errors import EXIT_ENVIRONMENT, EXIT_INTERRUPTED, TreefixError, UsageError
from treefix.option_bounds import bounded

app = typer.Typer(
    name="treefix",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Repair a repository whose tests fail: localise, propose, run in a sandbox, search (MCTS).",
)


def _version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Repair a repository whose tests fail: localise, propose, run in a sandbox, search (MCTS)."""


@app.command()
def repair(
    ctx: typer.Context,
    path: opt.PathArg = ".",
    test_cmd: opt.TestCmd = None,
    sandbox: opt.Sandbox = "auto",
    proposer: opt.Proposer = "auto",
    provider: opt.Provider = None,
    model: opt.Model = None,
    base_url: opt.BaseUrl = None,
    max_cost_usd: opt.MaxCostUsd = 1.0,
    max_llm_calls: opt.MaxLlmCalls = 60,
    cache: opt.Cache = None,
    judge: opt.Judge = False,
    samples: opt.Samples = 2,
    value: opt.Value = "auto",
    temperature: opt.Temperature = 0.7,
    llm_timeout: opt.LlmTimeout = 60.0,
    llm_max_tokens: opt.LlmMaxTokens = 2048,
    model_path: opt.ModelPath = None,
    llm_context: opt.LlmContext = None,
    tool_rounds: opt.ToolRounds = 6,
    locate: opt.Locate = "auto",
    max_evals: opt.MaxEvals = 500,
    time_limit: opt.TimeLimit = 300.0,
    test_timeout: opt.TestTimeout = 120.0,
    per_test_timeout: opt.PerTestTimeout = 10.0,
    seed: opt.Seed = 0,
    workers: opt.Workers = 0,
    max_depth: opt.MaxDepth = 3,
    fixes: opt.Fixes = None,
    extra_evals: opt.ExtraEvals = 60,
    runner: opt.Runner = "auto",
    apply: opt.Apply = False,
    branch: opt.Branch = None,
    commit: opt.Commit = False,
    fmt: opt.FormatOpt = None,
    output: opt.OutputOpt = None,
    image: opt.Image = None,
    executor: opt.Executor = "local",
    ray_address: opt.RayAddress = None,
    as_json: opt.JsonOpt = False,
    verbose: opt.Verbose = False,
    issue: opt.Issue = None,
    keep_test: opt.KeepTest = False,
) -> None:
    """Find failing tests, search for a patch that makes them pass, and print it."""
    # the command's modules load when it runs: `treefix --help` stays instant
    from treefix.cli.repair_cmd import run_repair
    from treefix.config import cli_overrides, resolve
    from treefix.pipeline.locate import check_mode
    from treefix.workspace.writeback import WriteBackPlan

    machine = as_json or fmt == "json"
    try:
        fmt = pick_format(fmt, as_json)
        plan = WriteBackPlan.from_flags(apply, branch, commit)
        overrides = cli_overrides(ctx)
        for flag in ("issue", "keep_test"):  # flags of this run, not settings
            overrides.pop(flag, None)
        opts = resolve(path, overrides).options(path, plan=plan)
        check_mode(opts.model.locate)  # a bad choice is a usage error before anything runs
        if issue is not None:
            opts.workflow.issue = _issue_text(issue)
            opts.workflow.keep_test = keep_test
        code = run_repair(
            opts, verbose=verbose, console=_stderr(), fmt=fmt, output=output
        ).exit_code
    except TreefixError as exc:
        fail(exc, machine)
    raise typer.Exit(code)


def _issue_text(source: str) -> str:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--issue {source}: cannot read it ({exc})") from None
    if not text.strip():
        raise UsageError(f"--issue {source}: the issue text is empty")
    return text


@app.command()
def test(
    ctx: typer.Context,
    path: opt.PathArg = ".",
    test_cmd: opt.TestCmd = None,
    sandbox: opt.Sandbox = "auto",
    test_timeout: opt.TestTimeout = 120.0,
    per_test_timeout: opt.PerTestTimeout = 10.0,
    as_json: opt.JsonOpt = False,
) -> None:
    """Run the tests once in the sandbox and classify the run (the baseline)."""
    # the command's modules load when it runs: `treefix --help` stays instant
    from treefix.cli.test_cmd import run_test
    from treefix.config import cli_overrides, resolve

    try:
        code = run_test(resolve(path, cli_overrides(ctx)).options(path), as_json, _stderr())
    except TreefixError as exc:
        fail(exc, as_json)
    raise typer.Exit(code)


@app.command()
def doctor(
    as_json: opt.JsonOpt = False,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Also list this Ray cluster's nodes and resources."),
    ] = None,
) -> None:
    """What this machine offers: sandbox kinds, isolation, grammars, keys present, Ray."""
    # the command's modules load when it runs: `treefix --help` stays instant
    from treefix.cli.doctor_cmd import run_doctor

    raise typer.Exit(run_doctor(as_json, _stderr(), ray_address))


@app.command()
def check(
    ctx: typer.Context,
    path: opt.PathArg = ".",
    fix: Annotated[
        bool, typer.Option("--fix", help="Write a validated fix into the working tree.")
    ] = False,
    test_cmd: opt.TestCmd = None,
    sandbox: opt.Sandbox = "auto",
    max_evals: opt.CheckMaxEvals = 60,
    time_limit: opt.CheckTimeLimit = 60.0,
    fmt: opt.FormatOpt = None,
    output: opt.OutputOpt = None,
) -> None:
    """Pre-commit hook: run the tests; when they fail, search offline (small budget) and print the
    fix. Exit 0 only when the tests pass. Files change only with --fix."""
    # the command's modules load when it runs: `treefix --help` stays instant
    from treefix.cli.check_cmd import run_check
    from treefix.config import cli_overrides

    try:
        fmt = pick_format(fmt, False)
        code = run_check(
            path, cli_overrides(ctx), fix=fix, fmt=fmt, output=output, console=_stderr()
        )
    except TreefixError as exc:
        fail(exc, fmt == "json")
    raise typer.Exit(code)


@app.command()
def batch(
    ctx: typer.Context,
    manifest: Annotated[
        str,
        typer.Argument(
            help="Manifest (.toml with [[entry]] tables, .jsonl) or a folder of repositories."
        ),
    ],
    out: Annotated[
        str, typer.Option("--out", help="Output folder: results/, runs/, batch.json, batch.md.")
    ] = "treefix-batch",
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip entries whose result exists for the same input.")
    ] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write each fix into its working tree.")
    ] = False,
    branch: opt.Branch = None,  # per entry, in each entry's repository
    commit: opt.Commit = False,
    max_cost_usd: Annotated[
        float | None,
        typer.Option(
            **bounded("max_cost_usd"), help="Model spend budget across the whole batch (USD)."
        ),
    ] = None,
    executor: Annotated[
        str, typer.Option("--executor", help="local | ray (needs treefix[ray]).")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Ray cluster (default: RAY_ADDRESS or a local one)."),
    ] = None,
    max_retries: Annotated[
        int,
        typer.Option(
            "--max-retries", min=0, max=10, help="Ray: re-runs of an entry whose node died."
        ),
    ] = 2,
    sandbox: opt.Sandbox = "auto",
    proposer: opt.Proposer = "auto",
    max_evals: Annotated[int, typer.Option(**bounded("max_evals"), help="Per entry.")] = 500,
    time_limit: Annotated[
        float, typer.Option(**bounded("time_limit"), help="Per entry, seconds.")
    ] = 300.0,
    seed: opt.Seed = 0,
    workers: Annotated[int, typer.Option(**bounded("workers"), help="Sandboxes per repair.")] = 0,
) -> None:
    """Repair many repositories: one run per manifest entry, a live table, a summary."""
    # the command's modules load when it runs: `treefix --help` stays instant
    from treefix.batch.driver import BatchOptions
    from treefix.cli.batch_cmd import run_batch_cmd
    from treefix.config import cli_overrides

    given = cli_overrides(
        ctx, ["sandbox", "proposer", "max_evals", "time_limit", "seed", "workers"]
    )
    opts = BatchOptions(
        output=Path(out).resolve(),
        values=given,
        resume=resume,
        apply=apply,
        branch=branch,
        commit=commit,
        max_cost_usd=max_cost_usd,
        executor=executor,
        ray_address=ray_address or os.environ.get("RAY_ADDRESS") or None,
        max_retries=max_retries,
    )
    try:
        code = run_batch_cmd(manifest, opts, _stderr())
    except TreefixError as exc:
        fail(exc, False)
    raise typer.Exit(code)


@app.command("config")
def config_cmd(
    path: opt.PathArg = ".",
    for_check: Annotated[
        bool, typer.Option("--check", help="The settings `treefix check` would use.")
    ] = False,
    as_json: opt.JsonOpt = False,
) -> None:
    """Print the effective settings and where each came from (file, environment, default)."""
    # the command's modules load when it runs: `treefix --help` stays instant
    from treefix.cli.config_cmd import run_config

    try:
        code = run_config(path, "check" if for_check else "repair", as_json, _stderr())
    except TreefixError as exc:
        fail(exc, as_json)
    raise typer.Exit(code)


@app.command()
def show(
    run: Annotated[str, typer.Argument(help="Run id (or prefix), 'latest', or a run folder.")],
    path: Annotated[str, typer.Option("--path", "-C", help="Project folder.")] = ".",
    fmt: opt.FormatOpt = None,
    output: opt.OutputOpt = None,
    as_json: opt.JsonOpt = False,
) -> None:
    """Re-render a past run from .treefix/runs/<id>/."""
    # the command's modules load when it runs: `treefix --help` stays instant
    from treefix.cli.show_cmd import run_show

    try:
        code = run_show(run, path, pick_format(fmt, as_json), output, _stderr())
    except TreefixError as exc:
        fail(exc, as_json or fmt == "json")
    raise typer.Exit(code)


app.add_typer(sandbox_app, name="sandbox")


@app.command()
def version() -> None:
    """Print the version."""
    print(__version__)


def main() -> None:
    signals.install()  # SIGTERM and SIGHUP stop as gracefully as Ctrl-C; a second one at once
    try:
        app()  # usage errors: typer prints them and exits 2
    except KeyboardInterrupt:
        print(f"treefix: interrupted ({signals.received() or 'Ctrl-C'})", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # a bug in treefix: one line for the user, the trace in a file
        import tempfile
        import traceback

        fd, path = tempfile.mkstemp(prefix="treefix-crash-", suffix=".txt")
        with open(fd, "w") as fh:
            traceback.print_exc(file=fh)
        print(
            f"treefix: internal error: {type(exc).__name__}: {exc} (trace in {path})",
            file=sys.stderr,
        )
        sys.exit(EXIT_ENVIRONMENT)
