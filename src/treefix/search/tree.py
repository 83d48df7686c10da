"""Search tree nodes: a node is a program state (the edits made so far) with its run and statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from treefix.types import Candidate, ProgramState, Suspicion, TestReport


@dataclass(eq=False)
class Node:
    id: int
    state: ProgramState
    parent: Node | None = None
    candidate: Candidate | None = None  # the edit that led here from the parent
    depth: int = 0
    reward: float | None = None  # own evaluation
    report: TestReport | None = None
    plausible: bool = False
    validated: bool | None = None  # full-suite verdict for plausible nodes
    regressions: list[str] = field(default_factory=list)
    candidates: list[Candidate] | None = None  # proposals from this state, best first
    children: dict[int, Node] = field(default_factory=dict)  # candidate index -> child
    skipped: set[int] = field(default_factory=set)  # candidate indexes that led to seen states
    visits: int = 0
    value_sum: float = 0.0
    virtual: int = 0  # in-flight evaluations below this node (virtual loss)
    exhausted: bool = False
    critique: str = ""  # after a failed run: class, assertion/exception, output tail
    explanation: str = ""  # a model's account of why this state fails (Self-Debugging)
    test_reward: float | None = None  # the execution reward before any value-agent blend
    value: int | None = None  # the value agent's score, -100..100
    value_note: str = ""
    refills: int = 0  # times a refilling proposer was asked again for this state
    focus: list[Suspicion] | None = None  # the suspicions its proposals were made for

    @property
    def q(self) -> float:
        n = self.visits + self.virtual
        return self.value_sum / n if n else 0.0

    def path(self) -> list[Node]:
        out: list[Node] = []
        n: Node | None = self
        while n is not None:
            out.append(n)
            n = n.parent
        return out[::-1]

    def chain(self) -> list[Candidate]:
        return [n.candidate for n in self.path() if n.candidate is not None]


@dataclass
class SelectionPolicy:
    """UCT with priors: unexpanded proposals compete through a first-play value."""

    c: float = 0.3
    fpu_bonus: float = 0.1  # an untried edit is assumed as good as its parent, plus this x prior
    min_gain: float = (
        0.1  # a child that gained less than this over its parent showed no progress...
    )
    stale_factor: float = 0.25  # ...and is explored less: fresh edits beat deepening noise

    def child_score(self, parent: Node, prior: float, child: Node | None) -> float:
        log_n = math.log(parent.visits + parent.virtual + 1)
        if child is None:
            return (
                (parent.reward or 0.0) + self.fpu_bonus * prior + self.c * prior * math.sqrt(log_n)
            )
        n = child.visits + child.virtual
        explore = self.c * prior * math.sqrt(log_n / (n + 1))
        if (child.reward or 0.0) - (parent.reward or 0.0) < self.min_gain:
            explore *= self.stale_factor
        return child.q + explore
