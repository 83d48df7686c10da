"""The seams of treefix: one Protocol per replaceable part, implementations injected."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from treefix.types import Candidate, ProgramState, Suspicion, TestReport


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

    def execute(self, changed: Mapping[str, bytes], request: ExecRequest) -> ExecResult: ...

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
    name: str

    def propose(
        self, state: ProgramState, focus: Sequence[Suspicion], feedback: Feedback
    ) -> list[Candidate]:
        """Candidates for this state, best first; every one parses."""
        ...
