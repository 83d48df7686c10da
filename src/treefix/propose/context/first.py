"""The context of a run's prompts, cache-friendly: a stable prefix built once from the root
(the repository map, the failing tests' source and fixtures) and the volatile parts per state
(the suspicious code, how the tests fail now). Each part has a token budget; smaller context
windows get smaller budgets (`LEVELS`, indexed like the proposer's trimming levels)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from treefix.code.prompts import phrase, render
from treefix.propose.code_context import code_context
from treefix.propose.context.budget import fit
from treefix.propose.context.callees import callee_suspicions
from treefix.propose.context.failure import failure_text
from treefix.propose.context.repomap import repo_map
from treefix.propose.context.tests import TestSource, render_snippets
from treefix.types import ProgramState, Suspicion, TestReport


@dataclass(frozen=True)
class Budgets:
    repo_map: int  # tokens
    tests: int  # tokens
    diff_lines: int  # pytest "E" lines per failing test
    frames: int  # project frames per failing test


LEVELS = (
    Budgets(1200, 2000, 40, 8),
    Budgets(600, 1000, 20, 4),
    Budgets(300, 500, 10, 2),
    Budgets(0, 300, 5, 1),
    Budgets(0, 150, 2, 0),
)


@dataclass(frozen=True)
class FirstPrompt:
    stable: str  # repository map + tests: the cached prefix after the system prompt
    code: str  # the suspicious code, numbered
    failing: str  # per failing test: message, assertion diff, project frames


class RunContext:
    """Built once from the root state and its report; the stable prefix never changes during a
    run (test files are never edited), so the provider's prompt cache keeps hitting."""

    def __init__(
        self,
        state: ProgramState,
        focus: Sequence[Suspicion],
        report: TestReport | None,
        targets: Sequence[str],
    ):
        self.state = state
        self.report = report
        self.targets = list(targets)
        self.tests = render_snippets(TestSource(state).for_targets(self.targets[:10]))
        # what the failing tests and the top suspicious functions call: shown after the ranked
        # code (callees.py says why)
        self.callees = callee_suspicions(state, report, self.targets[:10], focus)
        frames = [
            p
            for t in self.targets
            if report is not None and t in report.tests
            for p, _ in reversed(report.tests[t].frames)
        ]
        ranked = [s.path for s in sorted(focus, key=lambda s: -s.score)]
        self._first_paths = [*frames, *ranked]
        self._seed = "\n".join(
            [
                self.tests,
                code_context(state, [*focus, *self.callees]),
                failure_text(report, self.targets, state),
            ]
        )
        self._stable: dict[int, str] = {}

    def stable(self, level: int = 0) -> str:
        if level not in self._stable:
            b = LEVELS[min(level, len(LEVELS) - 1)]
            rmap = repo_map(self.state, self._seed, b.repo_map, self._first_paths)
            self._stable[level] = render(
                "stable.txt",
                repo_map=rmap or phrase("no_repo_map"),
                tests=fit(self.tests, b.tests) or phrase("no_test_source"),
            )
        return self._stable[level]


def failing_section(
    report: TestReport | None,
    targets: Sequence[str],
    state: ProgramState,
    level: int = 0,
    fallback: dict[str, str] | None = None,
) -> str:
    b = LEVELS[min(level, len(LEVELS) - 1)]
    text = failure_text(report, targets, state, b.diff_lines, b.frames, fallback)
    return text or phrase("no_failing")


def build_first_prompt(
    state: ProgramState,
    focus: Sequence[Suspicion],
    report: TestReport | None,
    targets: Sequence[str],
    level: int = 0,
    max_lines: int | None = None,
    top: int | None = None,
) -> FirstPrompt:
    """The context of the first proposal prompt, for any caller (the proposer, issue mode,
    the bench's context-recall measurement)."""
    ctx = RunContext(state, focus, report, targets)
    kw = {"max_lines": max_lines} if max_lines else {}
    return FirstPrompt(
        ctx.stable(level),
        code_context(state, [*focus, *ctx.callees], top=top, **kw),
        failing_section(report, targets, state, level),
    )
