"""Ranking validated fixes against overfitting: of several patches that all make the tests pass,
prefer the one that removes no check, swallows no error, needs fewest edits, changes least and was
likeliest a priori. Deleted checks and new `except` clauses are the masking patches that overfit
most often (Tan et al., "Anti-patterns in search-based program repair", FSE 2016): the test passes
because the wrong value is no longer checked, or its exception no longer propagates.
Fewer edits before fewer changed lines: a two-edit patch that negates a condition and flips a
comparison back changes as many lines as dropping a clause, and overfits.

The prior of a fix is the product of its edits' priors, which already weigh the fix pattern's
frequency in real bug fixes, the ingredient's distance (same function > class > module) and the
edit's size (propose/mutate/priors.py): a fix built from closer ingredients ranks higher.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from treefix.code.diff import diff_size, unified_diff
from treefix.search.tree import Node

# a removed line that checks something: an assertion, a raise, a condition or a None/type test
_CHECK = re.compile(r"^\s*(assert\b|raise\b|if\b|elif\b|while\b)|\bis (not )?None\b|\bisinstance\(")


def _net_added(patch: str, pattern: re.Pattern[str]) -> int:
    """Lines matching `pattern` the patch adds minus those it removes (its own ---/+++ aside)."""
    net = 0
    for line in patch.splitlines():
        if line.startswith(("---", "+++")) or not line.startswith(("-", "+")):
            continue
        if pattern.search(line[1:]):
            net += 1 if line[0] == "+" else -1
    return net


def deleted_checks(patch: str) -> int:
    """Checks the patch removes and does not put back (removed minus added check lines)."""
    return max(0, -_net_added(patch, _CHECK))


_EXCEPT = re.compile(r"^\s*except\b")


def swallowed_errors(patch: str) -> int:
    """`except` clauses the patch adds and does not take away: errors it now catches."""
    return max(0, _net_added(patch, _EXCEPT))


def joint_prior(node: Node) -> float:
    return math.prod(c.prior for c in node.chain()) if node.candidate is not None else 0.0


@dataclass
class Ranked:
    node: Node
    patch: str
    size: int  # changed lines (removed + added)
    edits: int
    deleted_checks: int
    prior: float
    swallowed: int = 0  # except clauses added

    def key(self) -> tuple[float, ...]:
        return (
            len(self.node.regressions),
            self.deleted_checks,
            self.swallowed,
            self.edits,
            self.size,
            -self.prior,
            self.node.id,
        )

    def reasons(self) -> list[str]:
        out = [
            f"{self.size} changed lines",
            f"{self.edits} edit{'s' if self.edits != 1 else ''}",
            "deletes no check"
            if not self.deleted_checks
            else f"deletes {self.deleted_checks} check(s)",
            f"prior {self.prior:.3g}",
        ]
        if self.swallowed:
            out.insert(3, f"catches {self.swallowed} new exception(s)")
        if self.node.regressions:
            out.insert(0, f"{len(self.node.regressions)} regression(s)")
        return out


def rank(fixes: list[Node]) -> list[Ranked]:
    """Validated fixes, best first."""
    ranked = []
    for node in fixes:
        patch = unified_diff(node.state)
        ranked.append(
            Ranked(
                node,
                patch,
                diff_size(node.state),
                len(node.chain()),
                deleted_checks(patch),
                joint_prior(node),
                swallowed_errors(patch),
            )
        )
    return sorted(ranked, key=Ranked.key)
