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
    validation: str = ""  # why a plausible state's full-suite run did not validate it
    revalidated: bool = False  # its first full-suite run gave no verdict and was run again
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
    """UCT with priors and progressive widening: a node visited n times considers only its
    first ceil(k * n**alpha) proposals (best prior first); unexpanded ones among them compete
    with its children through a first-play value. Without widening every proposal of a node is
    open at once, so a node's siblings are all tried before any child of a fruitless edit is: a
    two-edit fix whose edits change nothing alone came only after every single edit. With it,
    visits beyond the open width go down into the children, in prior order. widen_k = 0 turns
    widening off (every proposal open)."""

    c: float = 0.3
    fpu_bonus: float = 0.1  # an untried edit is assumed as good as its parent, plus this x prior
    min_gain: float = (
        0.1  # a child that gained less than this over its parent showed no progress...
    )
    stale_factor: float = 0.25  # ...and is explored less: fresh edits beat deepening noise

    # k=2, alpha=0.7 (bench/widening_sim.py, 150 proposals a state, budget 500): a node opens 2
    # proposals at once and the root ~155 by 500 evaluations, so every single edit stays within
    # the default budget and ranks <= 20 cost <= 1.3x; meanwhile about a third of the visits go
    # below fruitless edits, so non-separable pairs ranked (0,1), (2,5), (5,10) come after 15,
    # 99, 242 evaluations instead of 152, 199, 299. alpha 0.5 starves deep single edits (rank 50
    # never found with k=2); k=1 narrows too early.
    widen_k: float = 2.0
    widen_alpha: float = 0.7
    # the budget k and alpha were chosen for; below it the root opens more (root_share);
    # None: the same curve whatever the budget
    reference_evals: float | None = 500.0
    # ...but never more than this: non-separable pairs exist at every budget, so at least a
    # quarter of the root's visits always descend (a 40-evaluation budget still reaches one)
    max_root_share: float = 0.75
    # the least share of the root's visits that expand an open proposal rather than descend
    # (open proposals otherwise compete with visited children by first-play value, and never
    # win against a child with a good partial reward: a decoy kept the root at its first few
    # edits). 1: every open slot is expanded at once (classic progressive widening), which
    # slows the stepwise multi-edit fixes whose first edit is real progress; 0: off
    forced_root_share: float = 0.4

    def width(self, node: Node, expected: float | None = None) -> int | None:
        """How many of the node's proposals are open now (None: all). `expected`: the
        evaluations the search expects to afford in all (measured cost, time left)."""
        if self.widen_k <= 0:
            return None
        n = node.visits + node.virtual
        grown: float = self.widen_k * n**self.widen_alpha
        if node.parent is None and expected is not None and self.reference_evals is not None:
            grown = max(grown, self.root_share(expected) * n)
        return max(1, math.ceil(grown))

    def root_share(self, expected: float) -> float:
        """The least share of the root's visits spent opening its own proposals (single edits)
        when the search can afford `expected` evaluations. At the reference budget k*n**alpha
        opens k*ref**(alpha-1) of them (0.31: the rest descend below edits, a third of the
        visits below fruitless ones); with fewer evaluations the descents shrink in proportion
        (at 200 a fix ranked 100th among the single edits is tried), down to a quarter of the
        visits (max_root_share): a non-separable two-edit fix stays reachable at 40."""
        ref = max(1.0, self.reference_evals or 0.0)
        at_ref = min(1.0, self.widen_k * float(ref ** (self.widen_alpha - 1.0)))
        share = 1.0 - (1.0 - at_ref) * min(1.0, max(0.0, expected) / ref)
        return min(share, self.max_root_share)

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
