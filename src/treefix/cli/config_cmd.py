"""`treefix config`: the effective settings and where each one came from."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from treefix.config import resolve


def _resolved(settings) -> dict[str, tuple[object, str]]:
    """Settings left unset whose default depends on others: what they resolve to, and why."""
    from treefix.pipeline.fixes import default_fixes

    out: dict[str, tuple[object, str]] = {}
    v = settings.values
    if "fixes" in v and v["fixes"] is None:
        out["fixes"] = default_fixes(v["proposer"], v["provider"], v["model_path"])
    return out


def run_config(path: str, command: str, as_json: bool, console: Console) -> int:
    settings = resolve(path, command=command)
    resolved = _resolved(settings)
    if as_json:
        print(
            json.dumps(
                {
                    "files": settings.files,
                    "settings": {
                        k: {"value": v, "source": settings.sources[k]}
                        | (
                            {"resolves_to": resolved[k][0], "because": resolved[k][1]}
                            if k in resolved
                            else {}
                        )
                        for k, v in settings.values.items()
                    },
                    "warnings": settings.warnings,
                },
                indent=2,
            )
        )
        return 0
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("setting")
    table.add_column("value")
    table.add_column("from", style="dim")
    for key, value in settings.values.items():
        source = settings.sources[key]
        if key in resolved:  # unset: the value it resolves to, and why
            value, source = resolved[key]
        table.add_row(key.replace("_", "-"), repr(value) if value is not None else "-", source)
    out = Console(soft_wrap=True, highlight=False)
    files = ", ".join(settings.files) or "none (defaults, environment and flags only)"
    out.print(f"config files: {files}")
    out.print(table)
    for w in settings.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    return 0
