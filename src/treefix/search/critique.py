"""The critique of a failed run, passed on to proposers and kept in the node: the run's class,
the failing assertion or exception per target, and the output tail (Self-Debugging grounds every
explanation in a run like this)."""

from __future__ import annotations

from collections.abc import Sequence

from treefix.types import TestReport

TAIL_LINES = 15
MAX_CHARS = 2500


def critique(report: TestReport | None, targets: Sequence[str]) -> str:
    if report is None:
        return ""
    lines = [f"run: {report.status.value}" + (f" ({report.detail})" if report.detail else "")]
    shown = 0
    for t in targets:
        out = report.tests.get(t)
        if out is None:
            lines.append(f"- {t}: not run")
        elif out.outcome != "passed":
            lines.append(f"- {t}: {out.outcome}: {out.message[:300]}")
        else:
            continue
        shown += 1
        if shown >= 8:
            break
    others = [n for n in report.failing() if n not in targets]
    if others:
        lines.append(f"also failing (were passing): {', '.join(others[:5])}")
    tail = report.tail(TAIL_LINES).strip()
    if tail:
        lines.append("output tail:\n" + tail)
    text = "\n".join(lines)
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 20] + "\n...[cut]"


def outcome_line(reward: float | None, report: TestReport | None, fixed: int, total: int) -> str:
    if report is None:
        return "not run"
    return f"{report.status.value}: {fixed}/{total} targets pass, reward {reward or 0.0:.2f}"
