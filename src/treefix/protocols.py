"""The seams of treefix, declared in one place: one Protocol per replaceable part, implementations
injected through constructors.

    Model          models/ (anthropic, openai-compatible, llamacpp, scripted)
    Proposer       propose/ (mutation, model, both)
    ValueFunction  search/value.py (the value agent; tests alone when absent)
    Discriminator  search/value.py (smallest fix, majority vote, or a model as judge)
    Sandbox        sandbox/ (local, docker); SandboxPool hands one to each worker
    Executor       executors/ (ThreadExecutor over a SandboxPool; a cluster next)
    Language       languages/ (Python)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from treefix.types import Candidate, ProgramState, Suspicion, TestReport

if TYPE_CHECKING:
    from treefix.localize.frames import TracebackBlock
    from treefix.models.base import Reply, Request
    from treefix.search.tree import Node
    from treefix.testing.command import TestCommand
    from treefix.testing.runner import TestRunner

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class ExecRequest:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # added to the scrubbed base environment
    timeout: float = 60.0


@dataclass
class ExecResult:
    """What came back from one command run inside a sandbox. Output is capped, never unbounded."""

    exit_code: int | None  # None when killed by us (timeout) or by a signal
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    signal: int | None = None
    truncated: bool = False
    oom: bool = False
    pids_limited: bool = False  # the process-count limit refused a fork during the run
    artifacts: dict[str, str] = field(default_factory=dict)  # results dir files, read back as text


class Sandbox(Protocol):
    """One worker's private copy of the project, where candidate files are written and run."""

    kind: str  # "local" | "docker"
    isolation: str  # one line for the run header and `treefix doctor`
    workdir: str  # the project root as commands inside the sandbox see it
    results_dir: str  # where commands write artifacts (JUnit XML...), as seen inside
    support_dir: str  # where treefix's pytest plugin lives, as seen inside
    ctracer: str  # coverage.py's compiled tracer the plugin may load, as seen inside ("": none)

    def execute(self, changed: Mapping[str, bytes], request: ExecRequest) -> ExecResult: ...

    def cancel(self) -> None:
        """Stop the run in flight and every later one at once. Cheap and signal-safe: it is
        called from a signal handler; removing what the sandbox holds is close()'s job."""
        ...

    def peak_memory_mb(self) -> float | None:
        """The most memory the sandbox's runs held at once so far (a container's cgroup peak),
        None where the sandbox cannot tell (the local one: its runs are treefix's children)."""
        ...

    def cpu_seconds(self) -> float | None:
        """CPU seconds the sandbox's runs used so far (a container's cgroup), None where the
        sandbox cannot tell them apart (the local one: its runs are treefix's own children)."""
        ...

    def close(self) -> None: ...


class SandboxPool(Protocol):
    """The workers' sandboxes: each run borrows one and gives it back (thread-safe)."""

    sandboxes: list[Sandbox]

    @property
    def size(self) -> int: ...

    def borrow(self, fn: Callable[[Sandbox, T], R], item: T) -> R:
        """fn(sandbox, item) with a sandbox nobody else uses meanwhile."""
        ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


COVERAGE_LIMIT = 256 << 20  # coverage.json, read back from a sandbox (other results: 8 MiB)


@dataclass(frozen=True)
class Evaluation:
    """One run of the tests against a state: its changed files and which tests, how long."""

    changed: Mapping[str, bytes]
    tests: Sequence[str] | None  # None: the whole suite
    timeout: float
    per_test_timeout: float
    coverage: bool = False
    stop_on_hang: bool = False  # end the run at the first test that hits the per-test limit
    list_tests: bool = False  # report the collected node ids (the baseline, to continue a cut run)
    # with coverage: a run that collects more tests than this traces none (0: no cap); its
    # report says so (trace_deferred) and the caller traces a subset (pipeline/traced.py)
    trace_max_tests: int = 0
    # the cap holds only for the tracers too slow to trace a large suite whole (settrace, the C
    # tracer); sys.monitoring traces every test whatever the count
    trace_cap_slow_only: bool = False


class Executor(Protocol):
    """Runs a batch of evaluations, results in submission order (the search stays deterministic).
    Cancellation is the executor's job: cancel() from a signal handler stops the runs in flight
    and starts no more; abort() (a second signal) removes every sandbox without waiting."""

    workers: int  # evaluations that run at once
    kind: str  # the sandbox backend, for the report
    isolation: str  # one line for the run header
    nodes: list[str]  # the cluster nodes the sandboxes live on (none for threads on this machine)
    sandbox_peak_mb: float | None  # the largest sandbox memory peak, read by close() (None: unknown)

    def run(self, batch: Sequence[Evaluation]) -> list[TestReport]: ...

    def sandbox_cpu(self) -> float | None:
        """CPU seconds of every sandbox's runs so far, where each sandbox can tell (None:
        unknown, or not this machine's to read)."""
        ...

    def cancel(self) -> None: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class Attempt:
    """A patch already tried near this state, and how its run ended (ChatRepair / hindsight)."""

    description: str
    patch: str  # unified diff against the original
    outcome: str  # one line: "failed: 1/2 targets pass, reward 0.52"
    critique: str = ""  # why it failed: run class, assertion, and the model's explanation
    relation: str = "sibling"  # "branch" (an ancestor of this state) | "sibling"


class StopSearch(Exception):
    """Raised by a proposer when a hard budget is reached: the search ends with its best result."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Feedback:
    """What the last run of a state said, for proposers that listen (critique)."""

    report: TestReport | None
    targets: Sequence[str] = ()
    history: Sequence[str] = ()  # one line per tried sibling: "replace `<` by `<=`: failed (2/3)"
    tried: Sequence[Attempt] = ()  # the same with patches and critiques, branch first
    critique: str = ""  # this state's own critique (empty at the root)
    patch: str = ""  # this state's diff against the original
    explanation: str = (
        ""  # out: a proposer's explanation of why this state fails (kept in the node)
    )


class Proposer(Protocol):
    """Proposes candidates for a state. Subclass it to inherit the defaults: no history, no
    refills (a proposer whose proposals never change has nothing more to say)."""

    name: str
    # the search builds the tried-patches history (Feedback.tried/history) only for proposers
    # that read it: it costs a diff per attempt
    wants_history: bool = False

    @property
    def refills(self) -> int:
        """Times one state whose proposals are used up may ask again (refill), with what its
        children taught (ChatRepair: "these failed"); read-only, it may depend on the model."""
        return 0

    def propose(
        self, state: ProgramState, focus: Sequence[Suspicion], feedback: Feedback
    ) -> list[Candidate]:
        """Candidates for this state, best first; every one parses."""
        ...

    def refill(
        self, state: ProgramState, focus: Sequence[Suspicion], feedback: Feedback
    ) -> list[Candidate]:
        """More candidates for a state whose proposals are used up."""
        return []


class Model(Protocol):
    """Optional attributes a provider may also have: `context_window` (tokens, or None when
    unknown), `count_tokens(text) -> int` (exact counts for trimming a prompt to the window) and
    `free = True` (a local model: cost zero)."""

    provider: str  # "anthropic" | "openai" | "llamacpp" | "scripted"
    name: str  # model name as the provider knows it

    def complete(self, request: Request, timeout: float) -> Reply:
        """One attempt. Raises TransientModelError / FatalModelError."""
        ...


class ValueFunction(Protocol):
    """The value agent: (node, execution reward) -> blended reward, for states tests grade poorly."""

    def __call__(self, node: Node, reward: float) -> float: ...


class Discriminator(Protocol):
    """Picks among validated fixes: (fixes, votes per state key) -> (the pick, why)."""

    def __call__(self, fixes: list[Node], votes: dict[str, int]) -> tuple[Node, str]: ...


class Language(Protocol):
    """What the pipeline needs to know about a project's language: its grammar, which files are
    tests, how its tracebacks read, how its tests run, and where a failure points."""

    name: str

    def parse(self, source: bytes) -> object:
        """A syntax tree (tree-sitter) of one file."""
        ...

    def is_test_file(self, path: str) -> bool: ...

    def tracebacks(self, text: str) -> list[TracebackBlock]: ...

    def test_command(self, root: Path, override: str | None, python: str | None) -> TestCommand: ...

    def runner(self, command: TestCommand) -> TestRunner: ...

    def localize(
        self, state: ProgramState, report: TestReport, targets: Sequence[str]
    ) -> list[Suspicion]: ...
