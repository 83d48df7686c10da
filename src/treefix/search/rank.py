"""Ranking validated fixes against overfitting: of several patches that all make the tests pass,
prefer the one that removes no check, needs fewest edits, changes least and was likeliest a priori.
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


def deleted_checks(patch: str) -> int:
    """Checks the patch removes and does not put back (removed minus added check lines)."""
    removed = added = 0
    for line in patch.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-") and _CHECK.search(line[1:]):
            removed += 1
        elif line.startswith("+") and _CHECK.search(line[1:]):
            added += 1
    return max(0, removed - added)


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

    def key(self) -> tuple[float, ...]:
        return (
            len(self.node.regressions),
            self.deleted_checks,
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
            )
        )
    return sorted(ranked, key=Ranked.key)
