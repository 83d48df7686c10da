"""The machine-readable report of one run (report.json and `--json`), built from its record."""

from __future__ import annotations

import resource
import sys

from treefix import __version__
from treefix.code.diff import lines_changed, unified_diff
from treefix.pipeline.record import RunRecord
from treefix.search.mcts import SearchResult
from treefix.search.rank import rank
from treefix.search.tree import Node
from treefix.types import TestReport


def children_cpu() -> float:
    """User + system CPU seconds of this process's finished, waited-for child processes."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def test_report_dict(report: TestReport, limit: int = 200) -> dict:
    failing = report.failing()
    return {
        "status": report.status.value,
        "exit_code": report.exit_code,
        "detail": report.detail,
        "duration": round(report.duration, 3),
        "tests": len(report.tests),
        "passed": len(report.passing()),
        "failing": [
            {"id": n, "outcome": report.tests[n].outcome, "message": report.tests[n].message}
            for n in failing[:limit]
        ],
        "truncated_output": report.truncated,
        "coverage_note": report.coverage_note or None,
        # a large suite's baseline traced a subset: how many tests the coverage covers (None: all)
        "traced_tests": report.traced,
    }


def node_record(node: Node) -> dict:
    cand = node.candidate
    rep = node.report
    return {
        "node": node.id,
        "parent": node.parent.id if node.parent else None,
        "depth": node.depth,
        "edit": {
            "path": cand.path,
            "line": cand.line,
            "operator": cand.operator,
            "description": cand.description,
        }
        if cand
        else None,
        "status": rep.status.value if rep else None,
        "reward": node.reward,
        "plausible": node.plausible,
        "validated": node.validated,
        "regressions": node.regressions,
        "duration": round(rep.duration, 3) if rep else None,
        "failing": rep.failing()[:20] if rep else [],
        **({"explanation": node.explanation} if node.explanation else {}),
        **({"validation": node.validation} if node.validation else {}),
        **(
            {"value": node.value, "value_note": node.value_note, "test_reward": node.test_reward}
            if node.value is not None
            else {}
        ),
    }


def value_section(run: RunRecord, stats) -> dict:
    """The value agent's share of the model: its mode, calls, cost, states left unscored."""
    calls = stats.by_purpose.get("value", 0)
    cost = stats.cost_by_purpose.get("value", 0.0)
    agent = run.value_agent
    return {
        "value": run.options.model.value,
        "value_calls": calls,
        "value_cost_usd": round(cost, 6) if stats.cost_known else None,
        "value_call_share": round(calls / stats.calls, 3) if stats.calls else 0.0,
        "value_skipped": agent.skipped if agent is not None else 0,
    }


def model_section(run: RunRecord) -> dict | None:
    """Provider, usage, cost and budgets of the model, when one took part (never a key)."""
    setup = run.model
    gateway = setup.gateway if setup is not None else None
    if setup is None or gateway is None:
        return None
    o = run.options.model
    out = {
        "name": gateway.label,
        "mode": setup.mode,
        "degraded": setup.degraded or None,
        "budget_reached": setup.exhausted or None,
        **gateway.stats.as_dict(),
        "budget": {"max_cost_usd": o.max_cost_usd, "max_llm_calls": o.max_llm_calls},
        "samples": o.samples,
        "temperature": o.temperature,
        "cache": o.cache,
        "judge": o.judge,
        **value_section(run, gateway.stats),
    }
    llm = setup.llm
    if llm is not None:
        out["responses"] = llm.stats.responses
        out["model_candidates"] = llm.stats.candidates
        out["rejected_responses"] = llm.stats.rejected
        out["rejection_reasons"] = llm.stats.reasons[-5:]
        out["context_window"] = llm.stats.window
        out["context_trimmed"] = llm.stats.trimmed
    return out


def search_section(res: SearchResult) -> dict:
    stats = res.stats
    return {
        "evaluations": stats.evaluations,
        "validations": stats.validations,
        "revalidations": stats.revalidations,
        "unique_states": len(res.trajectory) + 1,
        "duplicates_skipped": stats.duplicates_skipped,
        "proposals": stats.proposals,
        "evals_to_first_fix": stats.evals_to_first_fix,
        "time_to_first_fix": round(stats.time_to_first_fix, 3)
        if stats.time_to_first_fix is not None
        else None,
        "best_reward": stats.best_reward,
        "max_depth": stats.max_depth,
        "stop_reason": stats.stop_reason,
        "pick_reason": stats.pick_reason,
        "fixes": stats.fixes,
        "extra_evaluations": stats.extra_evaluations,
        "elapsed": round(stats.elapsed, 3),
    }


def alternatives(fix: Node | None, fixes: list[Node]) -> list[dict]:
    """The validated fixes not picked, best ranked first, with why they rank where they do."""
    return [
        {
            "rank": i,
            "patch": r.patch,
            "files": sorted(r.node.state.changed()),
            "edits": [c.description for c in r.node.chain()],
            "reasons": r.reasons(),
        }
        for i, r in enumerate(rank(fixes), 1)
        if r.node is not fix
    ]


def build_report(run: RunRecord, run_id: str, run_dir: str, exit_code: int) -> dict:
    res = run.result
    fix = res.fix if res else None
    patch = unified_diff(fix.state) if fix else ""
    base = run.baseline_report
    median = run.median_candidate_run()
    return {
        "treefix_version": __version__,
        "run_id": run_id,
        "run_dir": run_dir,
        "project": str(run.project.root) if run.project else run.options.workflow.path,
        "status": run.status,
        "message": run.message,
        "exit_code": exit_code,
        "test_command": run.command.display if run.command else None,
        "sandbox": {
            "kind": run.sandbox_kind,
            "isolation": run.isolation,
            "workers": run.workers,
            "runner": run.runner,
            # where candidates ran: threads here, or Ray actors (and on which nodes)
            "executor": run.options.sandbox.executor,
            "nodes": run.nodes,
            # the tests' side: the largest sandbox's memory peak (None where it cannot be read)
            "peak_memory_mb": run.sandbox_peak_mb,
        },
        "options": {
            "max_evals": run.options.search.max_evals,
            "time_limit": run.options.search.time_limit,
            # the default limit is the search's, from the end of the baseline stages
            "time_limit_from": "baseline"
            if run.options.search.time_limit_is_default
            else "start",
            "seed": run.options.search.seed,
            "proposer": run.options.model.proposer,
            "max_depth": run.options.search.max_depth,
            # the K the search used, and why (--fixes, or the default offline / with a model)
            "fixes": (run.fixes_wanted or (run.options.search.fixes, "--fixes"))[0],
            "fixes_from": (run.fixes_wanted or (None, None))[1],
            "extra_evals": run.options.search.extra_evals,
            "widen_k": run.options.search.widen_k,
            "widen_alpha": run.options.search.widen_alpha,
        },
        "model": model_section(run),
        # the recorder of its per-test coverage: sys.monitoring, ctracer (...) or settrace
        "baseline": {**test_report_dict(base), "tracer": run.tracer or None} if base else None,
        "targets": run.baseline.targets if run.baseline else [],
        "flaky": run.baseline.flaky if run.baseline else [],
        "guards": run.baseline.guards if run.baseline else [],
        "localization": [
            {"path": s.path, "line": s.line, "score": round(s.score, 4), "reasons": list(s.reasons)}
            for s in run.focus[:15]
        ],
        "search": search_section(res) if res else None,
        "fix": {
            "patch": patch,
            "files": sorted(fix.state.changed()),
            "lines_changed": lines_changed(patch),
            "edits": [
                {
                    "path": c.path,
                    "line": c.line,
                    "operator": c.operator,
                    "description": c.description,
                }
                for c in fix.chain()
            ],
            "applied": run.applied,
            "rank_reasons": next((r.reasons() for r in rank([fix])), []),
        }
        if fix
        else None,
        "alternatives": alternatives(fix, res.fixes) if res else [],
        "timings": {
            "baseline_duration": round(base.duration, 3) if base else None,
            # CPU of the baseline's test processes (local sandbox, local executor: elsewhere
            # they are not this process's children), every run of it: continuations, subset
            "baseline_cpu": round(run.baseline_cpu, 2) if run.baseline_cpu is not None else None,
            "candidate_run_median": round(median, 4) if median else None,
            "candidate_run_max": round(max(run.candidate_durations), 4)
            if run.candidate_durations
            else None,
            "bare_argv": run.bare_focus_argv(),
            "sandbox_setup": round(run.copy_seconds, 3) if run.copy_seconds is not None else None,
        },
        "limits": run.limits.as_dict() if run.limits else None,
        "snapshot": run.git_snapshot.as_dict() if run.git_snapshot else None,
        "write_back": run.write_back.as_dict() if run.write_back else {"mode": "patch"},
        "peak_rss_mb": peak_rss_mb(),
    }
