"""The `treefix` command line. Exit codes are decided here, in one place:

0 fixed or nothing to fix · 1 no fix within budget · 2 usage error · 3 environment/sandbox error
· 4 model provider error · 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from treefix.errors import EXIT_ENVIRONMENT, EXIT_INTERRUPTED, TreefixError

app = typer.Typer(
    name="treefix",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Repair a repository whose tests fail: localise, propose, run in a sandbox, search (MCTS).",
)

PathArg = Annotated[str, typer.Argument(help="Project folder (tests run from here).")]
TestCmd = Annotated[
    str | None, typer.Option("--test-cmd", help="Test command (default: detect pytest).")
]
SandboxOpt = Annotated[str, typer.Option("--sandbox", help="auto | local | docker")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout.")]


def _stderr():
    from rich.console import Console

    return Console(stderr=True)


def fail(exc: TreefixError, as_json: bool) -> None:
    _stderr().print(f"[bold red]treefix: error:[/] {exc}", highlight=False, soft_wrap=True)
    if as_json:
        print(json.dumps({"status": "error", "message": str(exc), "exit_code": exc.exit_code}))
    raise typer.Exit(exc.exit_code)


@app.command()
def repair(
    path: PathArg = ".",
    test_cmd: TestCmd = None,
    sandbox: SandboxOpt = "auto",
    proposer: Annotated[
        str, typer.Option(help="auto | mutation | model (auto: model + mutation with a key)")
    ] = "auto",
    provider: Annotated[
        str | None,
        typer.Option(help="anthropic | openai (default: the key found in the environment)"),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model name (default claude-sonnet-5-5 / gpt-4.1-mini).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="API endpoint (OpenAI-compatible servers: Ollama, vLLM...).")
    ] = None,
    max_cost_usd: Annotated[
        float | None, typer.Option(min=0, help="Hard model spend budget in USD.")
    ] = 1.0,
    max_llm_calls: Annotated[int | None, typer.Option(min=0, help="Hard model call budget.")] = 60,
    cache: Annotated[
        str | None, typer.Option(help="Folder caching model responses (offline replays).")
    ] = None,
    judge: Annotated[
        bool, typer.Option("--judge", help="The model picks among several validated fixes.")
    ] = False,
    samples: Annotated[int, typer.Option(min=1, max=8, help="Model samples per expansion.")] = 2,
    temperature: Annotated[float, typer.Option(min=0, max=2, help="Sampling temperature.")] = 0.7,
    llm_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds for one model request.")
    ] = 60.0,
    max_evals: Annotated[int, typer.Option(min=1, help="Most candidate runs.")] = 500,
    time_limit: Annotated[float, typer.Option(min=1, help="Seconds for the whole run.")] = 300.0,
    test_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds for one run of the tests.")
    ] = 120.0,
    per_test_timeout: Annotated[
        float, typer.Option(min=0.5, help="Seconds for one test (pytest).")
    ] = 10.0,
    seed: Annotated[int, typer.Option(help="Seed: same seed, same search.")] = 0,
    workers: Annotated[
        int, typer.Option(min=0, help="Parallel sandboxes (0: one per core, at most 4).")
    ] = 0,
    max_depth: Annotated[int, typer.Option(min=1, max=6, help="Most edits in one fix.")] = 3,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the fix into the working tree.")
    ] = False,
    image: Annotated[
        str | None, typer.Option(help="Docker image (default: the project's built image).")
    ] = None,
    as_json: JsonOpt = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show every evaluated candidate.")
    ] = False,
) -> None:
    """Find failing tests, search for a patch that makes them pass, and print it."""
    from treefix.cli.repair_cmd import run_repair
    from treefix.engine import RepairOptions

    opts = RepairOptions(
        path=path,
        test_cmd=test_cmd,
        sandbox=sandbox,
        proposer=proposer,
        max_evals=max_evals,
        time_limit=time_limit,
        test_timeout=test_timeout,
        per_test_timeout=per_test_timeout,
        seed=seed,
        workers=workers,
        max_depth=max_depth,
        apply=apply,
        image=image,
        provider=provider,
        model=model,
        base_url=base_url,
        max_cost_usd=max_cost_usd,
        max_llm_calls=max_llm_calls,
        cache=cache,
        judge=judge,
        samples=samples,
        temperature=temperature,
        llm_timeout=llm_timeout,
    )
    try:
        code = run_repair(opts, as_json=as_json, verbose=verbose, console=_stderr())
    except TreefixError as exc:
        fail(exc, as_json)
    raise typer.Exit(code)


@app.command()
def test(
    path: PathArg = ".",
    test_cmd: TestCmd = None,
    test_timeout: Annotated[float, typer.Option(min=1)] = 120.0,
    per_test_timeout: Annotated[float, typer.Option(min=0.5)] = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Run the tests once in the sandbox and classify the run (the baseline)."""
    from treefix.cli.test_cmd import run_test

    try:
        code = run_test(path, test_cmd, test_timeout, per_test_timeout, as_json, _stderr())
    except TreefixError as exc:
        fail(exc, as_json)
    raise typer.Exit(code)


@app.command()
def doctor(as_json: JsonOpt = False) -> None:
    """What this machine offers: sandbox kinds, isolation, grammars, keys present."""
    from treefix.cli.doctor_cmd import run_doctor

    raise typer.Exit(run_doctor(as_json, _stderr()))


def _sandbox_app() -> typer.Typer:
    from treefix.cli.sandbox_cmd import app as sandbox_app

    return sandbox_app


app.add_typer(_sandbox_app(), name="sandbox")


@app.command()
def version() -> None:
    """Print the version."""
    from treefix import __version__

    print(__version__)


def main() -> None:
    try:
        app()  # usage errors: typer prints them and exits 2
    except KeyboardInterrupt:
        print("treefix: interrupted", file=sys.stderr)
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
