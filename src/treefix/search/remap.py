"""Carry suspicious lines from the original files over to an edited state."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from treefix.code.testfiles import is_test_file
from treefix.types import ProgramState, Suspicion, TestReport


def _line_map(old: bytes, new: bytes) -> dict[int, int]:
    a, b = old.splitlines(), new.splitlines()
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k in range(i1, i2):
            mapping[k + 1] = (
                j1 + (k - i1) if tag == "equal" else min(j1 + (k - i1), max(j1, j2 - 1))
            ) + 1
    return mapping


def remap(
    focus: Sequence[Suspicion],
    state: ProgramState,
    report: TestReport | None,
    targets: Sequence[str],
) -> list[Suspicion]:
    maps = {p: _line_map(state.original(p), data) for p, data in state.changed().items()}
    out: dict[tuple[str, int], Suspicion] = {}
    if report is not None:
        for t in targets:
            outcome = report.tests.get(t)
            frames = [f for f in (outcome.frames if outcome else []) if not is_test_file(f[0])]
            for depth, (path, line) in enumerate(reversed(frames)):
                s = Suspicion(path, line, 0.95 * 0.8**depth, ("traceback",))
                if (path, line) not in out or out[(path, line)].score < s.score:
                    out[(path, line)] = s
    for s in focus:
        line = maps[s.path].get(s.line, s.line) if s.path in maps else s.line
        if (s.path, line) not in out or out[(s.path, line)].score < s.score:
            out[(s.path, line)] = Suspicion(s.path, line, s.score, s.reasons)
    # stable: equal scores keep the localiser's order (its tie-breaks), traceback frames first;
    # sorting ties by path put luigi-20's parameter.py lines (alphabetically first) ahead of the
    # task.py ones the ranker had ranked first, and the proposer takes only the top statements
    return sorted(out.values(), key=lambda s: -s.score)
