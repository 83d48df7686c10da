"""`treefix show RUN`: re-render a past run from its folder (.treefix/runs/<id>/report.json)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from treefix.cli.output import emit
from treefix.cli.render import final_panel
from treefix.errors import UsageError


def find_run(run: str, path: str) -> Path:
    """A run folder from an id, an id prefix, 'latest', or a folder / report.json path."""
    given = Path(run)
    if given.is_file() and given.name == "report.json":
        return given.parent
    if (given / "report.json").is_file():
        return given
    runs = Path(path) / ".treefix" / "runs"
    folders = (
        sorted(p for p in runs.glob("*") if (p / "report.json").is_file()) if runs.is_dir() else []
    )
    if not folders:
        raise UsageError(f"no treefix runs under {runs}")
    if run == "latest":
        return folders[-1]
    matches = [p for p in folders if p.name.startswith(run)]
    if len(matches) != 1:
        what = "no run" if not matches else f"{len(matches)} runs"
        raise UsageError(
            f"{what} matching {run!r} under {runs}; `treefix show latest` shows the newest"
        )
    return matches[0]


def run_show(run: str, path: str, fmt: str, output: str | None, console: Console) -> int:
    folder = find_run(run, path)
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{folder / 'report.json'} cannot be read: {exc}") from None
    if fmt == "text" and output is None:
        Console(highlight=False).print(final_panel(report))  # asked for: on stdout
        return 0
    emit(report, fmt, output)
    return 0
