"""The typed record of one run, filled in stage by stage; the report is built from it."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from treefix.pipeline.limits import Limits
from treefix.pipeline.options import RunOptions
from treefix.report.folder import new_run_id
from treefix.search.mcts import SearchResult
from treefix.search.reward import Baseline
from treefix.testing.command import TestCommand
from treefix.types import Suspicion, TestReport
from treefix.workspace.gitrepo import Snapshot
from treefix.workspace.snapshot import Project
from treefix.workspace.writeback import WriteBackResult

if TYPE_CHECKING:  # the model's modules load only when a run builds its proposers
    from treefix.pipeline.issue import Reproduction
    from treefix.propose.factory import ModelSetup
    from treefix.search.value import ValueAgent

RunStatus = Literal[
    "fixed", "nothing_to_repair", "no_fix", "interrupted", "provider_error", "error"
]


@dataclass
class RunRecord:
    options: RunOptions
    started: float = field(default_factory=time.time)
    run_id: str = field(default_factory=new_run_id)
    project: Project | None = None
    command: TestCommand | None = None
    sandbox_kind: str = ""
    isolation: str = ""
    runner: str = ""  # "warm (...)" or "cold (why)", decided after the baseline
    tracer: str = ""  # what recorded the baseline's per-test coverage ("": none, or no plugin)
    baseline_cpu: float | None = None  # CPU seconds of its test processes (None: not measurable)
    workers: int = 1
    nodes: list[str] = field(default_factory=list)  # Ray node ids of the sandbox actors
    sandbox_peak_mb: float | None = None  # the largest sandbox memory peak (Docker: its cgroup's)
    baseline_report: TestReport | None = None
    baseline: Baseline | None = None
    focus: list[Suspicion] = field(default_factory=list)
    result: SearchResult | None = None
    status: RunStatus = "error"
    message: str = ""
    candidate_durations: list[float] = field(default_factory=list)
    copy_seconds: float | None = None  # creating the sandboxes (scratch copies / containers)
    applied: list[str] = field(default_factory=list)
    model: ModelSetup | None = None  # the proposers, and the model when one takes part
    value_agent: ValueAgent | None = None  # with a model and --value auto|on
    git_snapshot: Snapshot | None = None  # refs/treefix/snapshots/<run_id>
    write_back: WriteBackResult | None = None
    reproduction: Reproduction | None = None  # issue mode: the test the run repairs against
    limits: Limits | None = None  # the time limits the run derived from its baseline
    fixes_wanted: tuple[int, str] | None = None  # (K, why) once the search starts

    def bare_focus_argv(self) -> list[str] | None:
        """The focused test command as a user would type it, for the overhead benchmark."""
        if self.command is None or not self.command.is_pytest or self.baseline is None:
            return None
        return [*self.command.focused(self.baseline.focus()), "-q", "-p", "no:cacheprovider"]

    def median_candidate_run(self) -> float | None:
        return statistics.median(self.candidate_durations) if self.candidate_durations else None
