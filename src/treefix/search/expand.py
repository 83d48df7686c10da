"""Expansion: what a node's proposer is told (critique, the patches tried around it) and which
of its proposals may run. Tests are the judge: a candidate that edits them (deletes a test,
plants a conftest that skips or exits) is never run, whoever proposed it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from treefix.code.diff import unified_diff
from treefix.protocols import Attempt, Feedback, Proposer
from treefix.search.critique import outcome_line
from treefix.search.remap import remap
from treefix.search.reward import Baseline
from treefix.search.tree import Node
from treefix.types import Candidate, Suspicion, TestReport

MAX_ATTEMPTS = 12  # tried patches shown to a proposer


class Expander:
    def __init__(
        self,
        proposer: Proposer,
        baseline: Baseline,
        focus: Sequence[Suspicion],
        is_test_file: Callable[[str], bool],
        relocalize: Callable[[TestReport], list[Suspicion]] | None = None,
        on_proposals: Callable[[int], None] = lambda n: None,
    ):
        self.proposer = proposer
        self.baseline = baseline
        self.focus = list(focus)
        self.is_test_file = is_test_file
        self.relocalize = relocalize
        self.on_proposals = on_proposals  # candidates received, for the stats

    def candidates(self, node: Node) -> list[Candidate]:
        """The node's proposals, asked for once."""
        if node.candidates is None:
            # Below the root, the spectrum is re-weighted by this state's own outcomes: the tests
            # still failing point at the edit still missing.
            base = self.focus
            if self.relocalize is not None and node.parent is not None and node.report is not None:
                base = self.relocalize(node.report) or self.focus
            node.focus = remap(base, node.state, node.report, self.baseline.targets)
            feedback = self.feedback(node)
            node.candidates = self._runnable(
                self.proposer.propose(node.state, node.focus, feedback)
            )
            if feedback.explanation and not node.explanation:
                node.explanation = feedback.explanation
            self.on_proposals(len(node.candidates))
        return node.candidates

    def refill(self, node: Node, max_depth: int) -> bool:
        """A node whose proposals are used up asks a refilling proposer (the model) again, with
        what its children taught; at most `proposer.refills` times."""
        limit = self.proposer.refills
        if not limit or node.candidates is None or node.depth >= max_depth:
            return False
        while node.refills < limit:
            node.refills += 1
            feedback = self.feedback(node)
            new = self._runnable(
                self.proposer.refill(node.state, node.focus or self.focus, feedback)
            )
            if feedback.explanation and not node.explanation:
                node.explanation = feedback.explanation
            if new:
                node.candidates.extend(new)
                self.on_proposals(len(new))
                return True
        return False

    def _runnable(self, candidates: list[Candidate]) -> list[Candidate]:
        return [c for c in candidates if not any(self.is_test_file(e.path) for e in c.edits)]

    def feedback(self, node: Node) -> Feedback:
        tried = self._attempts(node)
        return Feedback(
            node.report,
            self.baseline.targets,
            history=[f"{a.description}: {a.outcome}" for a in tried],
            tried=tried,
            critique="\n".join(x for x in (node.critique, node.explanation) if x),
            patch=unified_diff(node.state) if node.parent is not None else "",
        )

    def _attempts(self, node: Node) -> list[Attempt]:
        """The branch leading here, then what was tried beside it (hindsight from siblings),
        newest first. Only built for proposers that read it (`wants_history`)."""
        if not self.proposer.wants_history:
            return []
        path = node.path()
        branch = [self._attempt(n, "branch") for n in path[1:]]
        on_path = set(map(id, path))
        siblings = [
            child
            for anc in path
            for child in anc.children.values()
            if id(child) not in on_path and child.report is not None
        ]
        siblings.sort(key=lambda n: -n.id)
        room = max(0, MAX_ATTEMPTS - len(branch))
        return branch + [self._attempt(n, "sibling") for n in siblings[:room]]

    def _attempt(self, n: Node, relation: str) -> Attempt:
        fixed = sum(
            1
            for t in self.baseline.targets
            if n.report is not None
            and t in n.report.tests
            and n.report.tests[t].outcome == "passed"
        )
        why = "\n".join(x for x in (n.critique, n.explanation, n.value_note) if x)
        return Attempt(
            description=n.candidate.description if n.candidate else "",
            patch=unified_diff(n.state),
            outcome=outcome_line(
                n.test_reward if n.test_reward is not None else n.reward,
                n.report,
                fixed,
                len(self.baseline.targets),
            )
            + (" (regressions: " + ", ".join(n.regressions[:3]) + ")" if n.regressions else ""),
            critique=why,
            relation=relation,
        )
