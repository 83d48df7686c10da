"""A run's options in four typed groups, built in one place from resolved settings.

Every field of SearchOptions, SandboxOptions and ModelOptions, and the fields of WorkflowOptions
marked as settings, is a setting (`[tool.treefix]`, TREEFIX_*, a flag) of the same name: config.py
reads names, types and defaults from here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from treefix.workspace.writeback import WriteBackPlan

NOT_A_SETTING = {"setting": False}  # command line only: where, and whether to write


@dataclass
class SearchOptions:
    max_evals: int = 500
    time_limit: float = 300.0  # whole run, seconds
    # not set anywhere (the default): the search gets the whole limit after the baseline stages,
    # so a long suite's baseline does not eat it (a set limit bounds the whole run)
    time_limit_is_default: bool = field(default=False, metadata=NOT_A_SETTING)
    test_timeout: float = 120.0  # one run of the test command, seconds
    per_test_timeout: float = 10.0  # one test inside a pytest run, seconds
    seed: int = 0
    max_depth: int = 3
    # progressive widening: a node visited n times considers ceil(k * n**alpha) proposals
    # (search/tree.py says why 2 and 0.7); widen_k 0 opens every proposal at once
    widen_k: float = 2.0
    widen_alpha: float = 0.7
    # validated fixes to find before stopping (the discriminator chooses among them), and the
    # most evaluations spent after the first one; unset: 1 offline, 3 when a model proposes
    # (pipeline/search.py's wanted_fixes: the model's fixes differ, the judge has a choice)
    fixes: int | None = None
    extra_evals: int = 60
    # how candidates run: warm (a pytest server per worker, forked per candidate), cold (a new
    # process each), auto (warm where it can serve, else cold; the header says which and why)
    runner: str = "auto"
    # a suite that collects more tests than this gets a baseline without tracing, then a traced
    # subset (pipeline/traced.py); 0: the whole suite is traced whatever its size. Unset: 1000
    # (AUTO_TRACE_MAX_TESTS) for the tracers that cost 2-4x a test's time (settrace, the C
    # tracer), none for sys.monitoring (every test traced in the one run)
    trace_max_tests: int | None = None
    # that baseline (the untraced run + the traced subset) within this many times the untraced run
    baseline_trace_ratio: float = 1.5


@dataclass
class SandboxOptions:
    sandbox: str = "auto"  # auto | local | docker
    workers: int = 0  # 0: one per core, at most 4
    image: str | None = None  # docker image (default: the project's built image)
    # limits per worker (unset: the backend's default, see docs/SECURITY.md and sandbox/settings.py)
    sandbox_memory_mb: int | None = None  # local 4096 (cgroup), docker 2048
    sandbox_pids: int | None = None  # local 512 (cgroup), docker 256
    sandbox_file_mb: int | None = None  # largest file a candidate may write (1024)
    sandbox_output_kb: int | None = None  # output kept per stream (1024)
    sandbox_tmp_mb: int | None = None  # docker /tmp tmpfs (256)
    sandbox_cpus: float | None = None  # docker: CPUs per container (1.0)
    executor: str = "local"  # local: threads over this machine's sandboxes | ray: Ray actors
    ray_address: str | None = None  # the Ray cluster (default: RAY_ADDRESS, else Ray's own rule)


@dataclass
class ModelOptions:
    """Model-guided repair (see treefix.propose.factory); keys come from the environment only."""

    proposer: str = "auto"  # auto | mutation | model
    provider: str | None = None  # anthropic | openai | llamacpp | scripted (default: from env)
    model: str | None = None  # model name (scripted: the script file)
    base_url: str | None = None
    max_cost_usd: float | None = 1.0  # hard budget, checked before every model call
    max_llm_calls: int | None = 60
    cache: str | None = None  # folder of the on-disk response cache
    judge: bool = False  # the model picks among several validated fixes
    value: str = "auto"  # value agent: auto (only where it can reorder siblings) | on | off
    samples: int = 2  # model samples per expansion
    temperature: float = 0.7
    llm_timeout: float = 60.0  # seconds for one model request
    llm_max_tokens: int = 2048  # most tokens in one model answer (a rambling model stops there)
    model_path: str | None = None  # --provider llamacpp: the GGUF file run in-process
    llm_context: int | None = None  # llamacpp: context window in tokens (default 4096)
    tool_rounds: int = 6  # rounds of read/search tool calls before an answer (0: no tools)
    locate: str = "auto"  # model localisation (files -> functions -> lines): auto | on | off


@dataclass
class WorkflowOptions:
    """Where the run happens and what it does with a fix."""

    path: str = field(default=".", metadata=NOT_A_SETTING)
    test_cmd: str | None = None
    plan: WriteBackPlan = field(default_factory=WriteBackPlan, metadata=NOT_A_SETTING)
    # `treefix check` (the pre-commit hook): a passing suite leaves no trace, and a fix found
    # still fails the commit
    hook: bool = field(default=False, metadata=NOT_A_SETTING)
    # issue mode (pipeline/issue.py): the bug report's text, and whether the reproduction test
    # joins the fix
    issue: str | None = field(default=None, metadata=NOT_A_SETTING)
    keep_test: bool = field(default=False, metadata=NOT_A_SETTING)


GROUPS = {
    "workflow": WorkflowOptions,
    "search": SearchOptions,
    "sandbox": SandboxOptions,
    "model": ModelOptions,
}


def setting_fields() -> list[tuple[str, dataclasses.Field]]:
    """(group, field) of every setting, in declaration order."""
    return [
        (group, f)
        for group, cls in GROUPS.items()
        for f in dataclasses.fields(cls)
        if f.metadata.get("setting", True)
    ]


@dataclass
class RunOptions:
    workflow: WorkflowOptions = field(default_factory=WorkflowOptions)
    search: SearchOptions = field(default_factory=SearchOptions)
    sandbox: SandboxOptions = field(default_factory=SandboxOptions)
    model: ModelOptions = field(default_factory=ModelOptions)

    @classmethod
    def build(
        cls,
        path: str = ".",
        values: dict[str, object] | None = None,
        *,
        plan: WriteBackPlan | None = None,
        hook: bool = False,
        time_limit_is_default: bool = False,
    ) -> RunOptions:
        """The one constructor: flat setting values (config.resolve's) sorted into their groups."""
        values = dict(values or {})
        where = {f.name: group for group, f in setting_fields()}
        unknown = sorted(set(values) - set(where))
        if unknown:
            raise TypeError(f"not settings: {', '.join(unknown)}")
        kwargs: dict[str, dict[str, object]] = {g: {} for g in GROUPS}
        for name, value in values.items():
            kwargs[where[name]][name] = value
        kwargs["workflow"].update(path=path, plan=plan or WriteBackPlan(), hook=hook)
        kwargs["search"]["time_limit_is_default"] = time_limit_is_default
        return cls(**{g: GROUPS[g](**kw) for g, kw in kwargs.items()})
