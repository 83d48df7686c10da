"""The search stage: MCTS over the localised states, with the value agent and the discriminator
when a model takes part. An interrupted or failed search still leaves its partial result."""

from __future__ import annotations

from collections.abc import Callable

from treefix.errors import ProviderError, SandboxError
from treefix.pipeline.events import Events
from treefix.pipeline.fixes import FIXES_OFFLINE, FIXES_WITH_MODEL
from treefix.pipeline.record import RunRecord
from treefix.protocols import Language
from treefix.search.mcts import Budget, Evaluate, Search
from treefix.search.tree import SelectionPolicy
from treefix.search.value import Discriminator, ValueAgent
from treefix.types import ProgramState, Suspicion, TestReport


def model_hooks(record: RunRecord, events: Events) -> dict:
    """The value agent and the discriminator (judge with --judge) when a model takes part."""
    gateway = record.model.gateway if record.model is not None else None
    if gateway is None or record.baseline is None:
        return {"choose": Discriminator()}
    gateway.on_call = lambda stats: events.model(stats.as_dict())
    judge = gateway if record.options.model.judge else None
    mode = record.options.model.value
    value = None
    if mode != "off":  # off: no value calls at all; tests alone order the states
        value = ValueAgent(gateway, record.baseline, on_disabled=events.message, mode=mode)
    record.value_agent = value
    return {"value": value, "choose": Discriminator(judge, record.baseline)}


def wanted_fixes(record: RunRecord) -> tuple[int, str]:
    """(K, why): --fixes when given, else the default for whether a model proposes."""
    given = record.options.search.fixes
    if given is not None:
        return given, "--fixes"
    if record.model is not None and record.model.llm is not None:
        return FIXES_WITH_MODEL, "default with a model"
    return FIXES_OFFLINE, "default offline"


def search(
    record: RunRecord,
    state: ProgramState,
    evaluate: Evaluate,
    workers: int,
    language: Language,
    relocalize: Callable[[TestReport], list[Suspicion]] | None,
    events: Events,
    deadline: float,
) -> None:
    """Fills record.result, status and message."""
    assert record.baseline is not None and record.model is not None
    opts = record.options.search
    budget = Budget(opts.max_evals, deadline, opts.max_depth)
    record.fixes_wanted = wanted_fixes(record)
    mcts = Search(
        root_state=state,
        root_report=record.baseline.report,
        baseline=record.baseline,
        focus=record.focus,
        proposer=record.model.proposer,
        evaluate=evaluate,
        budget=budget,
        workers=workers,
        seed=opts.seed,
        policy=SelectionPolicy(widen_k=opts.widen_k, widen_alpha=opts.widen_alpha),
        fixes=record.fixes_wanted[0],
        extra_evals=opts.extra_evals,
        on_node=lambda node, stats: events.node(node, stats, budget),
        relocalize=relocalize,
        is_test_file=language.is_test_file,
        **model_hooks(record, events),
    )
    try:
        record.result = mcts.run()
    except ProviderError as exc:  # the report still gets written, with what was done
        record.result = mcts.partial("provider error")
        record.status, record.message = "provider_error", str(exc)
        raise
    except KeyboardInterrupt:
        record.result = mcts.partial("interrupted")
        record.status = "interrupted"
        raise
    except SandboxError as exc:  # e.g. the engine died: the partial trajectory is still reported
        record.result = mcts.partial(f"sandbox error: {exc}")
        raise
    if record.result.fix is not None:
        record.status, record.message = "fixed", "validated fix found"
    else:
        stats = record.result.stats
        record.status = "no_fix"
        record.message = f"no fix found ({stats.stop_reason}, {stats.evaluations} evaluations)"
