"""How the failing tests fail, for a model: per test the exception line, pytest's assertion
diff (its "E" lines) and the traceback frames inside the project with their source lines."""

from __future__ import annotations

from collections.abc import Sequence

from treefix.types import ProgramState, TestReport

MAX_FRAMES = 8  # innermost project frames shown per test
MAX_TESTS = 6  # failing tests detailed; the rest are listed by id


def _line(state: ProgramState, path: str, line: int) -> str:
    try:
        lines = state.read(path).decode("utf-8", "replace").splitlines()
    except KeyError:
        return ""
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def failure_text(
    report: TestReport | None,
    targets: Sequence[str],
    state: ProgramState,
    diff_lines: int = 40,
    frames: int = MAX_FRAMES,
    fallback: dict[str, str] | None = None,
) -> str:
    """One section per target still failing: "- id: message", the diff lines, the frames.
    `fallback` gives messages for targets the report does not hold (e.g. the baseline's)."""
    out: list[str] = []
    for i, t in enumerate(targets):
        outcome = report.tests.get(t) if report is not None else None
        if outcome is not None and outcome.outcome in ("passed", "skipped"):
            continue
        message = outcome.message if outcome is not None else (fallback or {}).get(t, "")
        out.append(f"- {t}" + (f": {message}" if message else ""))
        if outcome is None or i >= MAX_TESTS:
            continue
        detail = [ln for ln in outcome.detail.splitlines() if ln.strip() != "E"]
        if detail and diff_lines > 0:
            shown = detail[:diff_lines]
            more = (
                f"\n    ... {len(detail) - len(shown)} more lines"
                if len(detail) > len(shown)
                else ""
            )
            out.append("  pytest says:\n" + "\n".join("    " + ln for ln in shown) + more)
        if outcome.frames and frames > 0:
            inner = outcome.frames[-frames:]
            rows = [f"    {p}:{n}  {_line(state, p, n)}" for p, n in inner]
            out.append("  traceback (project frames, innermost last):\n" + "\n".join(rows))
    return "\n".join(out)
