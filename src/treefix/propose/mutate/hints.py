"""Read the last test run lightly: which operator families the failure points at."""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field

from treefix.propose.mutate.expected import MAX_PAIRS, value_pairs
from treefix.protocols import Feedback
from treefix.types import Status

_NONE_RESULT = re.compile(r"assert None (==|!=|is|in)|(==|!=) None\b")
_LOOP_FAMILIES = {"negate": 1.3, "const": 1.2, "offbyone": 1.2, "ingredient": 1.3, "addcond": 1.2}
# Exceptions a try/except fix may name: the builtin ones (a project's own would need an import).
_CATCHABLE = frozenset(
    n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, Exception)
)


@dataclass
class Hints:
    family: dict[str, float] = field(default_factory=dict)  # prior multipliers per family
    loop: dict[str, float] = field(default_factory=dict)  # extra, on loop headers only
    recursion: bool = False  # a RecursionError: `if` headers (base cases) count as loop headers
    exceptions: list[str] = field(default_factory=list)  # builtin exceptions the targets raised
    not_callable: bool = False  # "'str' object is not callable": a value was called (nocall)
    # differing values the failing assertions show, (one side, other side): `expected`
    values: list[tuple[str | int | float, str | int | float]] = field(default_factory=list)

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
        if exc == "AssertionError":
            for pair in value_pairs(msg, outcome.detail):
                if pair not in hints.values and len(hints.values) < MAX_PAIRS:
                    hints.values.append(pair)
        if exc in _CATCHABLE and exc not in hints.exceptions and exc != "AssertionError":
            hints.exceptions.append(exc)
            hints.family["trywrap"] = 1.5
        if exc in ("TypeError", "AttributeError") and "None" in msg:
            hints.family["isnone"] = 1.45
            hints.family["truthy"] = 2.0  # `len(None)`, `None[0]`: check the operand first
        elif exc == "TypeError" and "not callable" in msg:
            hints.not_callable = True
        elif exc == "TypeError" and ("str" in msg or "int" in msg or "float" in msg):
            hints.family["convert"] = 1.6  # `can only concatenate str`, `unsupported operand`
            hints.family["nestswap"] = 1.5  # `len(range(xs))`: 'list' cannot be an integer
        elif exc in ("NameError", "UnboundLocalError"):
            hints.family["rename"] = 1.5  # a name that is not there: another one was meant
            hints.family["ingredient"] = 1.5  # or an expression (`self.rate` for `rate`)
            hints.family["init"] = 1.5  # or a name never set before its first use
        elif exc == "IndexError":
            hints.family["offbyone"] = 1.15
            hints.family["guard"] = 1.6
        elif exc == "ZeroDivisionError":
            hints.family["const"] = 1.15
            hints.family["isnone"] = max(hints.family.get("isnone", 1.0), 1.2)
            hints.family["guard"] = 1.6
        elif exc == "ValueError" and "empty" in msg:  # max() arg is an empty sequence
            hints.family["guard"] = 1.6
        elif exc == "AssertionError" and _NONE_RESULT.search(msg):
            # `assert None == [5, 4]`: the function fell off its end or printed its result
            hints.family["return"] = 1.8
            hints.family["printret"] = 1.3
        elif exc == "RecursionError":
            hints.loop.update(_LOOP_FAMILIES)
            hints.recursion = True
            hints.family["offbyone"] = 1.15  # the recursive call's missing `+ 1`
    if report.status == Status.TIMEOUT:
        hints.loop.update(_LOOP_FAMILIES)
        hints.family["jump"] = 1.3  # a missing `break`
    return hints
