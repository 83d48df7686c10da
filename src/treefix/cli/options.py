"""The command line's options, declared once: a typed `Annotated` alias per option, used by every
command that takes it (`repair`, `check`, `test`, `batch`, ...). A command's parameter is then one
line, `max_evals: opt.MaxEvals = 500`; the value itself reaches the run through the configuration
(config.cli_overrides reads what was given), so adding a setting to the CLI is one alias here plus
its line in each command that offers it.

Choice lists come from the registries, bounds from option_bounds.BOUNDS.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.models import OptionInfo

from treefix.models.registry import PROVIDERS
from treefix.option_bounds import bounded
from treefix.propose.registry import PROPOSERS
from treefix.registry import Registry
from treefix.sandbox.backends import SANDBOXES


class _Choices(OptionInfo):
    """An option whose help lists a registry's choices as they are when typer builds the command,
    not when this module is imported: a backend or provider registered later shows in --help."""

    def __init__(self, registry: Registry[Any], *decls: str, note: str = "") -> None:
        self._registry, self._note = registry, note
        # typer.Option's convention inside Annotated: the first name arrives as `default`
        super().__init__(default=decls[0] if decls else ..., param_decls=decls[1:])

    @property
    def help(self) -> str:
        return self._registry.help() + self._note

    @help.setter
    def help(self, _: str | None) -> None:
        """OptionInfo.__init__ assigns the help text; the registry is its source instead."""


# --- taken by several commands
PathArg = Annotated[str, typer.Argument(help="Project folder (tests run from here).")]
TestCmd = Annotated[
    str | None, typer.Option("--test-cmd", help="Test command (default: detect pytest).")
]
Sandbox = Annotated[str, _Choices(SANDBOXES, "--sandbox")]
Proposer = Annotated[str, _Choices(PROPOSERS, note=" (auto: model + mutation with a key)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout.")]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format", "-f", help="Output on stdout: text | json | patch (--json = --format json)."
    ),
]
OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write the --format output to FILE instead of stdout."),
]
TestTimeout = Annotated[
    float, typer.Option(**bounded("test_timeout"), help="Seconds for one run of the tests.")
]
PerTestTimeout = Annotated[
    float, typer.Option(**bounded("per_test_timeout"), help="Seconds for one test (pytest).")
]
Seed = Annotated[int, typer.Option(**bounded("seed"), help="Seed: same seed, same search.")]

# --- the model (repair)
Provider = Annotated[str | None, _Choices(PROVIDERS, note=" (default: from the environment)")]
Model = Annotated[
    str | None, typer.Option(help="Model name (default claude-sonnet-5-5 / gpt-4.1-mini).")
]
BaseUrl = Annotated[
    str | None, typer.Option(help="API endpoint (OpenAI-compatible servers: Ollama, vLLM...).")
]
MaxCostUsd = Annotated[
    float | None, typer.Option(**bounded("max_cost_usd"), help="Hard model spend budget in USD.")
]
MaxLlmCalls = Annotated[
    int | None, typer.Option(**bounded("max_llm_calls"), help="Hard model call budget.")
]
Cache = Annotated[
    str | None, typer.Option(help="Folder caching model responses (offline replays).")
]
Judge = Annotated[
    bool, typer.Option("--judge", help="The model picks among several validated fixes.")
]
Samples = Annotated[int, typer.Option(**bounded("samples"), help="Model samples per expansion.")]
Value = Annotated[
    str,
    typer.Option(
        "--value",
        help="Value agent: auto (only where its score can reorder sibling states) | on | off.",
    ),
]
Temperature = Annotated[float, typer.Option(**bounded("temperature"), help="Sampling temperature.")]
LlmTimeout = Annotated[
    float, typer.Option(**bounded("llm_timeout"), help="Seconds for one model request.")
]
LlmMaxTokens = Annotated[
    int, typer.Option(**bounded("llm_max_tokens"), help="Most tokens in one model answer.")
]
ModelPath = Annotated[
    str | None,
    typer.Option(help="GGUF model file run in-process by llama.cpp (--provider llamacpp)."),
]
LlmContext = Annotated[
    int | None,
    typer.Option(
        **bounded("llm_context"), help="llamacpp: context window in tokens (default 4096)."
    ),
]
ToolRounds = Annotated[
    int,
    typer.Option(
        **bounded("tool_rounds"),
        help="Rounds of read/search tool calls the model may make before it answers (0: none).",
    ),
]
Locate = Annotated[
    str,
    typer.Option(
        "--locate",
        help="Model localisation, files -> functions -> lines (Agentless): auto (large "
        "repositories, or when the failing tests cover no code) | on | off.",
    ),
]

# --- the search (repair; check has its own budget texts)
MaxEvals = Annotated[int, typer.Option(**bounded("max_evals"), help="Most candidate runs.")]
TimeLimit = Annotated[
    float,
    typer.Option(
        **bounded("time_limit"),
        help="Seconds for the whole run (default: 300 for the search, after the baseline).",
    ),
]
Workers = Annotated[
    int, typer.Option(**bounded("workers"), help="Parallel sandboxes (0: one per core, at most 4).")
]
MaxDepth = Annotated[int, typer.Option(**bounded("max_depth"), help="Most edits in one fix.")]
Fixes = Annotated[
    int | None,
    typer.Option(
        **bounded("fixes"),
        help="Validated fixes to find, then rank and pick among them "
        "(default: 1 offline, 3 when a model proposes).",
    ),
]
ExtraEvals = Annotated[
    int,
    typer.Option(
        **bounded("extra_evals"), help="Most evaluations spent after the first fix (--fixes)."
    ),
]
Runner = Annotated[
    str,
    typer.Option(
        help="auto | warm | cold: warm forks each candidate from a pytest server that "
        "imported once (auto: where it can serve)."
    ),
]
CheckMaxEvals = Annotated[
    int, typer.Option(**bounded("max_evals"), help="Most candidate runs (default 60).")
]
CheckTimeLimit = Annotated[
    float, typer.Option(**bounded("time_limit"), help="Seconds (default 60).")
]

# --- the workflow: write-back, where candidates run, output, issue mode (repair)
Apply = Annotated[
    bool, typer.Option("--apply", help="Write the fix into the working tree (all files or none).")
]
Branch = Annotated[
    str | None,
    typer.Option(
        "--branch", help="Commit the fix on a new branch NAME; tree, index and HEAD untouched."
    ),
]
Commit = Annotated[
    bool, typer.Option("--commit", help="Commit only the fix on the current branch (and write it).")
]
Executor = Annotated[
    str, typer.Option(help="local | ray: candidate evaluations on Ray actors (treefix[ray]).")
]
RayAddress = Annotated[
    str | None, typer.Option(help="Ray cluster for --executor ray (default: RAY_ADDRESS).")
]
Image = Annotated[
    str | None, typer.Option(help="Docker image (default: the project's built image).")
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show every evaluated candidate.")]
Issue = Annotated[
    str | None,
    typer.Option(
        "--issue",
        metavar="FILE|-",
        help="Issue mode: a bug report (a file, or - for stdin); the model writes a failing "
        "reproduction test first, then the run repairs against it. Needs a model.",
    ),
]
KeepTest = Annotated[
    bool, typer.Option("--keep-test", help="Issue mode: the reproduction test joins the fix.")
]
