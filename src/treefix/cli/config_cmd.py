"""`treefix config`: the effective settings and where each one came from."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from treefix.config import resolve


def run_config(path: str, command: str, as_json: bool, console: Console) -> int:
    settings = resolve(path, command=command)
    if as_json:
        print(
            json.dumps(
                {
                    "files": settings.files,
                    "settings": {
                        k: {"value": v, "source": settings.sources[k]}
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
        table.add_row(
            key.replace("_", "-"), repr(value) if value is not None else "-", settings.sources[key]
        )
    out = Console(soft_wrap=True, highlight=False)
    files = ", ".join(settings.files) or "none (defaults, environment and flags only)"
    out.print(f"config files: {files}")
    out.print(table)
    for w in settings.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    return 0
