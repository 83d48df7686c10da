"""Machine output of a run (`--format text|json|patch`, `--output FILE`): stdout or a file.

Progress and the human panel always go to stderr; what is printed here is only the chosen format.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from treefix.errors import UsageError

FORMATS = ("text", "json", "patch")


def pick_format(fmt: str | None, as_json: bool) -> str:
    if fmt is None:
        return "json" if as_json else "text"
    if fmt not in FORMATS:
        raise UsageError(f"--format must be text, json or patch, not {fmt!r}")
    if as_json and fmt != "json":
        raise UsageError(f"--json and --format {fmt} disagree: use one of them")
    return fmt


def plain_text(report: dict) -> str:
    """The report as plain text (what --format text writes to --output)."""
    lines = [f"treefix {report.get('status', '?')}: {report.get('message', '')}"]
    if report.get("project"):
        lines.append(f"project: {report['project']}")
    search = report.get("search") or {}
    if search:
        lines.append(
            f"search: {search.get('evaluations', 0)} evaluations, {search.get('elapsed', 0):.1f}s, "
            f"first fix after {search.get('evals_to_first_fix') or '-'} evaluations, stop: {search.get('stop_reason', '')}"
        )
    snap = report.get("snapshot")
    if snap:
        lines.append(f"snapshot: {snap['ref']} ({snap['commit'][:12]})")
    fix = report.get("fix")
    if fix:
        for e in fix["edits"]:
            lines.append(f"- {e['path']}:{e['line']} [{e['operator']}] {e['description']}")
        wb = report.get("write_back") or {}
        if wb.get("error"):
            lines.append(f"not written back: {wb['error']}")
        elif wb.get("mode") == "branch":
            lines.append(f"committed on {wb['ref']} ({wb['commit'][:12]})")
        elif wb.get("mode") == "commit":
            lines.append(
                f"committed on {wb['ref']} ({wb['commit'][:12]}), applied to {', '.join(fix['applied'])}"
            )
        elif fix.get("applied"):
            lines.append(f"applied to {', '.join(fix['applied'])}")
        lines.append(f"patch: {report.get('run_dir', '')}/fix.patch")
        lines.append("")
        lines.append(fix["patch"].rstrip("\n"))
    return "\n".join(lines) + "\n"


def render(report: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2) + "\n"
    if fmt == "patch":
        return (report.get("fix") or {}).get("patch", "")
    return plain_text(report)


def emit(report: dict, fmt: str, output: str | None) -> None:
    """Print the chosen format on stdout, or write it to `output` (atomically)."""
    if output:
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(render(report, fmt), encoding="utf-8")
        os.replace(tmp, target)
    elif fmt != "text":
        print(render(report, fmt), end="", flush=True)
