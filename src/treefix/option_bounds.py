"""The bounds of the numeric settings: one table for config validation (files, environment) and
the CLI's options (typer's min/max), so a value refused in one place is refused in the other."""

from __future__ import annotations

Bound = tuple[float | None, float | None]  # (least, most); None: unbounded

BOUNDS: dict[str, Bound] = {
    "max_evals": (1, None),
    "time_limit": (1, None),
    "test_timeout": (1, None),
    "per_test_timeout": (0.5, None),
    "workers": (0, None),
    "max_depth": (1, 6),
    "widen_k": (0, None),
    "widen_alpha": (0.1, 1),
    "fixes": (1, 20),
    "extra_evals": (0, None),
    "trace_max_tests": (0, None),
    "baseline_trace_ratio": (1, None),
    "seed": (0, None),
    "max_cost_usd": (0, None),
    "max_llm_calls": (0, None),
    "samples": (1, 8),
    "temperature": (0, 2),
    "llm_timeout": (1, None),
    "llm_max_tokens": (16, None),
    "llm_context": (256, None),
    "tool_rounds": (0, 50),
    "sandbox_memory_mb": (64, None),
    "sandbox_pids": (16, None),
    "sandbox_file_mb": (1, None),
    "sandbox_output_kb": (16, None),
    "sandbox_tmp_mb": (16, None),
    "sandbox_cpus": (0.1, None),
}


def bounded(name: str) -> dict[str, float | None]:
    """typer.Option(**bounded("max_evals")): the setting's bounds as the CLI's min/max."""
    least, most = BOUNDS[name]
    return {"min": least, "max": most}
