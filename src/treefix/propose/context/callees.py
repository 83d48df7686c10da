"""The functions a failing test's own line calls, as extra suspicions for the code shown.

A test like `Task.from_str_params(t.to_str_params())` fails inside `from_str_params` (the
traceback), while the bug is in `to_str_params`, which returned normally and left no frame: the
spectrum ranks it no higher than the passing tests do. A strong engineer reads both; so does the
model, at the lowest score (shown after the ranked code, within the same budget)."""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence

from treefix.code.testfiles import is_test_file
from treefix.propose.code_context import CONTEXT_ONLY
from treefix.types import ProgramState, Suspicion, TestReport

SCORE = 1e-6  # below every ranked suspicion: shown last, trimmed first
MAX_NAMES = 6  # called names taken from the failing tests' lines
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_SKIP = {"print", "len", "str", "int", "list", "dict", "set", "tuple", "isinstance", "range"}


def called_names(
    state: ProgramState, report: TestReport | None, targets: Sequence[str]
) -> list[str]:
    """Names called on the test-file lines of the failing tests' tracebacks, first seen first."""
    names: list[str] = []
    for t in targets:
        outcome = report.tests.get(t) if report is not None else None
        for path, line in outcome.frames if outcome is not None else []:
            if not is_test_file(path):
                continue
            try:
                text = state.read(path).decode("utf-8", "replace").splitlines()[line - 1]
            except (KeyError, IndexError):
                continue
            for name in _CALL.findall(text):
                if name not in names and name not in _SKIP and not keyword.iskeyword(name):
                    names.append(name)
    return names[:MAX_NAMES]


def callee_suspicions(
    state: ProgramState, report: TestReport | None, targets: Sequence[str]
) -> list[Suspicion]:
    """A suspicion on the first body line of each project definition of a called name."""
    names = called_names(state, report, targets)
    if not names:
        return []
    wanted = re.compile(rf"^\s*(?:async\s+)?def\s+({'|'.join(map(re.escape, names))})\s*\(", re.M)
    out = []
    for path in state.paths():
        if not path.endswith(".py") or is_test_file(path):
            continue
        text = state.read(path).decode("utf-8", "replace")
        for m in wanted.finditer(text):
            line = text.count("\n", 0, m.start()) + 2  # the body's first line
            out.append(Suspicion(path, line, SCORE, (CONTEXT_ONLY,)))
    return out
