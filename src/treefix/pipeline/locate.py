"""The model's hierarchical localisation as a pipeline stage (propose/hierarchy.py): run when a
model takes part and the repository is large or the spectrum found nothing (`--locate auto`), or
always (`on`); merged into the run's focus."""

from __future__ import annotations

from treefix.errors import ProviderError, UsageError
from treefix.markup import escape
from treefix.models.gateway import BudgetExhausted
from treefix.pipeline.events import Events
from treefix.pipeline.record import RunRecord
from treefix.propose.hierarchy import HierarchicalLocalizer, merge
from treefix.types import ProgramState, Suspicion, TestReport

LARGE = 100  # source files from which `auto` asks the model even when the spectrum has answers
MODES = ("auto", "on", "off")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise UsageError(f"--locate {mode!r}: choose one of {', '.join(MODES)}")
    return mode


def model_locate(
    record: RunRecord, state: ProgramState, base: TestReport, targets: list[str], events: Events
) -> list[Suspicion]:
    mode = check_mode(record.options.model.locate)
    focus = record.focus
    gateway = record.model.gateway if record.model is not None else None
    if mode == "off" or gateway is None or not targets or not base.tests:
        return focus
    if mode == "auto" and focus and len(state.paths()) < LARGE:
        return focus
    try:
        found = HierarchicalLocalizer(gateway, record.options.model.tool_rounds).locate(
            state, base, targets
        )
    except BudgetExhausted:
        return focus
    except ProviderError as exc:
        if exc.fatal:
            raise
        events.message(f"[yellow]model localisation failed ({escape(str(exc))}): spectrum only[/]")
        return focus
    gateway.records.append(
        {
            "type": "localization",
            "files": found.files,
            "functions": [f"{p}:{n}" for p, n in found.functions],
            "lines": [f"{p}:{n}" for p, n in found.lines],
        }
    )
    if found.suspicions:
        how = "merged with the spectrum" if focus else "alone: the failing tests cover no code"
        where = ", ".join(f"{p}:{n}" for p, n in found.lines[:3])
        events.message(f"model localisation ({how}): {escape(where)}")
    return merge(focus, found.suspicions)
