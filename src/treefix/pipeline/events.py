"""What a run tells whoever shows progress (the CLI's RichEvents); every method may be ignored."""

from __future__ import annotations

from treefix.search.mcts import Budget, SearchStats
from treefix.search.reward import Baseline
from treefix.search.tree import Node
from treefix.types import Suspicion, TestReport


class Events:
    def header(self, info: dict) -> None: ...
    def baseline(self, report: TestReport, baseline: Baseline | None) -> None: ...
    def localized(self, focus: list[Suspicion]) -> None: ...
    def node(self, node: Node, stats: SearchStats, budget: Budget) -> None: ...
    def message(self, text: str) -> None: ...  # rich markup: outside text arrives escaped
    def model(self, stats: dict) -> None: ...
    def stop(self) -> None: ...  # the run is over: stop live displays
