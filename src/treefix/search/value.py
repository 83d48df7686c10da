"""The value agent and the discriminator (SWE-Search), with execution always dominating.

Value agent: for states the tests grade poorly (partial progress, regressions) the model scores
the state from -100 to 100 with an explanation. The node's reward becomes
`reward + WEIGHT * score / 100`, clamped to [0, CAP]: an opinion can reorder unvalidated states a
little, never lift one to the level of a plausible state (1.0), and a validated fix (which ends
the search) always outranks it.

Discriminator among validated fixes: fewest regressions, then a majority vote over normalised
patches (identical normalised states reached by several proposals), then, with a judge, the model
compares the finalists and explains its pick; without one, the smallest patch wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from treefix.code.diff import unified_diff
from treefix.code.prompts import phrase, render
from treefix.errors import ContextOverflow, ProviderError
from treefix.models.base import Message, Request
from treefix.models.gateway import Gateway
from treefix.protocols import StopSearch
from treefix.search.rank import rank
from treefix.search.reward import Baseline
from treefix.search.tree import Node

WEIGHT = 0.15
MODES = ("auto", "on", "off")
CAP = 0.9
_SCORE = re.compile(r"SCORE:\s*([+-]?\d+)")
_PICK = re.compile(r"PICK:\s*#?(\d+)")
_EXPL = re.compile(r"EXPLANATION:\s*(.+)", re.S)


def blend(reward: float, score: int) -> float:
    return round(min(CAP, max(0.0, reward + WEIGHT * max(-100, min(100, score)) / 100)), 6)


def can_reorder(node: Node, reward: float) -> bool:
    """Whether a score could change which sibling the search picks next: a blended reward moves
    by at most WEIGHT, so only a run sibling whose test reward is that close can swap places."""
    parent = node.parent
    if parent is None:
        return False
    for sib in parent.children.values():
        if sib is node or sib.report is None:
            continue
        other = sib.test_reward if sib.test_reward is not None else sib.reward
        if other is not None and abs(other - reward) <= WEIGHT:
            return True
    return False


def _failing(baseline: Baseline) -> str:
    out = []
    for t in baseline.targets[:10]:
        o = baseline.report.tests.get(t)
        out.append(f"- {t}" + (f": {o.message[:200]}" if o and o.message else ""))
    return "\n".join(out) or phrase("no_failing")


def _explanation(text: str) -> str:
    m = _EXPL.search(text)
    return " ".join(m.group(1).split())[:400] if m else ""


class ValueAgent:
    """Called by the search after a non-plausible run; returns the blended reward."""

    def __init__(
        self,
        gateway: Gateway,
        baseline: Baseline,
        on_disabled: Callable[[str], None] | None = None,
        mode: str = "on",
    ):
        self.gateway = gateway
        self.baseline = baseline
        self.mode = mode
        self.skipped = 0  # auto: states left unscored because no score could reorder them
        self.on_disabled = on_disabled or (lambda msg: None)
        self.enabled = True
        self.scored = 0
        self.unparsed = 0

    def wants(self, node: Node, reward: float) -> bool:
        if not (
            self.enabled
            and self.mode != "off"
            and node.parent is not None
            and (0.0 < reward < 1.0 or bool(node.regressions))
        ):
            return False
        if self.mode == "auto" and not can_reorder(node, reward):
            self.skipped += 1
            return False
        return True

    def __call__(self, node: Node, reward: float) -> float:
        if not self.wants(node, reward):
            return reward
        request = Request(
            system=phrase("reviewer"),
            messages=(
                Message(
                    "user",
                    render(
                        "value.txt",
                        failing=_failing(self.baseline),
                        patch=unified_diff(node.state).strip() or phrase("no_change"),
                        critique=node.critique or phrase("no_detail"),
                    ),
                ),
            ),
            temperature=0.0,
            max_tokens=300,
            purpose="value",
        )
        try:
            reply = self.gateway.complete(request)
        except StopSearch:
            return reward  # the proposer will hit the budget too and stop the search
        except ContextOverflow:
            self.unparsed += 1  # this state's prompt does not fit the window: no score for it
            return reward
        except ProviderError as exc:
            self.enabled = False
            self.on_disabled(f"value agent off: {exc}")
            return reward
        m = _SCORE.search(reply.text)
        if not m:
            self.unparsed += 1
            return reward
        self.scored += 1
        node.value = max(-100, min(100, int(m.group(1))))
        node.value_note = _explanation(reply.text)
        return blend(reward, node.value)


def normalised_key(node: Node) -> str:
    return node.state.key()  # parse + unparse of every changed file: comments and layout dropped


class Discriminator:
    def __init__(self, gateway: Gateway | None = None, baseline: Baseline | None = None):
        self.gateway = gateway  # set only with --judge
        self.baseline = baseline
        self.judged: str = ""

    def __call__(self, fixes: list[Node], votes: dict[str, int]) -> tuple[Node, str]:
        fewest = min(len(n.regressions) for n in fixes)
        pool = [n for n in fixes if len(n.regressions) == fewest]
        tally: dict[str, list[Node]] = {}
        for n in pool:
            tally.setdefault(normalised_key(n), []).append(n)

        def count(key: str) -> int:
            return votes.get(key, 1) + len(tally[key]) - 1

        top = max(count(k) for k in tally)
        # ties go to the best ranked (search/rank.py): keeps checks, fewest edits, smallest,
        # likeliest a priori
        order = {id(r.node): i for i, r in enumerate(rank(pool))}
        finalists = sorted(
            (min(ns, key=lambda n: order[id(n)]) for k, ns in tally.items() if count(k) == top),
            key=lambda n: order[id(n)],
        )
        if len(finalists) == 1:
            why = (
                "the only validated fix" if len(fixes) == 1 else f"majority vote ({top} proposals)"
            )
            return finalists[0], why
        if self.gateway is not None and self.baseline is not None:
            picked = self._judge(finalists, self.gateway, self.baseline)
            if picked is not None:
                return picked
        return finalists[0], (
            f"best ranked of {len(finalists)} validated fixes (keeps checks, fewest edits, smallest)"
        )

    def _judge(
        self, finalists: list[Node], gateway: Gateway, baseline: Baseline
    ) -> tuple[Node, str] | None:
        shown = finalists[:4]
        body = "\n".join(
            render("candidate.txt", number=i, patch=unified_diff(n.state).strip())
            for i, n in enumerate(shown, 1)
        )
        request = Request(
            system=phrase("reviewer"),
            messages=(
                Message(
                    "user", render("judge.txt", failing=_failing(baseline), finalists=body)
                ),
            ),
            temperature=0.0,
            max_tokens=300,
            purpose="judge",
        )
        try:
            reply = gateway.complete(request)
        except (StopSearch, ProviderError) as exc:
            self.judged = f"judge unavailable: {exc}"
            return None
        m = _PICK.search(reply.text)
        if not m or not 1 <= int(m.group(1)) <= len(shown):
            self.judged = "judge answer not understood"
            return None
        self.judged = _explanation(reply.text)
        return shown[int(m.group(1)) - 1], f"judge: {self.judged}"
