"""Read the last test run lightly: which operator families the failure points at."""

from __future__ import annotations

from dataclasses import dataclass, field

from treefix.protocols import Feedback
from treefix.types import Status

_LOOP_FAMILIES = {"negate": 1.3, "const": 1.2, "offbyone": 1.2}


@dataclass
class Hints:
    family: dict[str, float] = field(default_factory=dict)  # prior multipliers per family
    loop: dict[str, float] = field(default_factory=dict)  # extra, on loop headers only
    recursion: bool = False  # a RecursionError: `if` headers (base cases) count as loop headers

    def boost(self, family: str, stmt_type: str) -> float:
        b = self.family.get(family, 1.0)
        heads: tuple[str, ...] = ("for_statement", "while_statement")
        if self.recursion:
            heads += ("if_statement", "elif_clause", "return_statement")
        if stmt_type in heads:
            b *= self.loop.get(family, 1.0)
        return b


def read_feedback(feedback: Feedback | None) -> Hints:
    hints = Hints()
    if feedback is None or feedback.report is None:
        return hints
    report = feedback.report
    names = list(feedback.targets) or report.failing()
    for nodeid in names:
        outcome = report.tests.get(nodeid)
        if outcome is None:
            continue
        exc, msg = outcome.exc_type.rsplit(".", 1)[-1], outcome.message
        if exc in ("TypeError", "AttributeError") and "None" in msg:
            hints.family["isnone"] = 1.45
        elif exc == "IndexError":
            hints.family["offbyone"] = 1.15
        elif exc == "ZeroDivisionError":
            hints.family["const"] = 1.15
            hints.family["isnone"] = max(hints.family.get("isnone", 1.0), 1.2)
        elif exc == "RecursionError":
            hints.loop.update(_LOOP_FAMILIES)
            hints.recursion = True
    if report.status == Status.TIMEOUT:
        hints.loop.update(_LOOP_FAMILIES)
    return hints
