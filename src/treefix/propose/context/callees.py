"""The functions the failing tests and the suspicious functions call, as extra suspicions for the
code shown (what a strong engineer reads next, beside the ranked lines).

- A test like `Task.from_str_params(t.to_str_params())` fails inside `from_str_params` (the
  traceback), while the bug is in `to_str_params`, which returned normally and left no frame.
  Every call in the failing test's body counts, not only the failing line (`hooks.run_hook()`
  inside `pytest.raises` leaves no frame at all), and so do the calls those functions make, one
  level down (the hook runner's helper that swallows the exit status).
- A suspicious function's callees: when the failing tests run only their own file, every line
  they run ties in the spectrum and a long suspicious function is shown as windows around its
  ranked lines, so the helper it calls (`solve_dependencies` -> `request_body_to_args`,
  `main` -> `get_response`) is never shown though the failure passed through it.

They get the lowest score (shown after the ranked code, within the same line budget). A name
defined in many places (`get`, `run`) says nothing about which one runs: left out."""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence

from treefix.code.syntax import parse
from treefix.code.testfiles import is_test_file
from treefix.propose.code_context import CONTEXT_ONLY, _enclosing
from treefix.types import ProgramState, Suspicion, TestReport

SCORE = 1e-6  # below every ranked suspicion: shown last, trimmed first
MAX_NAMES = 12  # called names taken from the failing tests' bodies
MAX_CALLEES = 10  # definitions added in all
MAX_DEFS = 3  # a name defined in more places than this is ambiguous
RANKED_FUNCTIONS = 3  # the most suspicious functions whose callees are shown
PER_FUNCTION = 4  # callees shown per suspicious function, nearest its ranked lines first
MAX_SCAN = 400  # lines of one function read for its calls
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(", re.M)
_SKIP = {
    "print", "len", "str", "int", "float", "bool", "list", "dict", "set", "tuple", "isinstance",
    "range", "super", "type", "getattr", "setattr", "hasattr", "sorted", "open", "repr", "min",
    "max", "sum", "any", "all", "zip", "enumerate", "map", "filter", "iter", "next", "format",
}  # fmt: skip


class _Defs:
    """Where each function name is defined in the project's non-test Python files."""

    def __init__(self, state: ProgramState):
        self.state = state
        self.at: dict[str, list[tuple[str, int]]] = {}
        for path in state.paths():
            if not path.endswith(".py") or is_test_file(path):
                continue
            text = state.read(path).decode("utf-8", "replace")
            for m in _DEF.finditer(text):
                self.at.setdefault(m.group(1), []).append((path, text.count("\n", 0, m.start())))

    def of(self, name: str) -> list[tuple[str, int]]:
        """(path, 0-based def line) of a callable name; [] when unknown or ambiguous."""
        found = self.at.get(name, [])
        if name.startswith("__") or len(found) > MAX_DEFS:
            return []
        return found


def _names(text: str, near: Sequence[int] = (), first: int = 1) -> list[str]:
    """Called names in `text` (whose first line is `first`), nearest to the `near` lines first
    (in order of appearance when none are given)."""
    found: dict[str, int] = {}
    for i, line in enumerate(text.splitlines()):
        dist = min((abs(first + i - n) for n in near), default=0)
        for name in _CALL.findall(line):
            if name in _SKIP or keyword.iskeyword(name):
                continue
            found[name] = min(found.get(name, dist), dist)
    return sorted(found, key=lambda n: found[n])  # stable: ties keep their order


def _body(state: ProgramState, path: str, line: int) -> tuple[int, int, str]:
    """The innermost function around a 1-based line, however long, without its `def` line
    (module level: the window code_context shows): (first, last, its text)."""
    source = state.read(path)
    lines = source.decode("utf-8", "replace").splitlines()
    text = lines[line - 1]
    col = len(text) - len(text.lstrip())
    node = parse(source).root_node.descendant_for_point_range((line - 1, col), (line - 1, col))
    while node is not None and node.type != "function_definition":
        node = node.parent
    if node is None:
        lo, hi = _enclosing(parse(source), line, lines)
    else:
        lo, hi = node.start_point[0] + 1, node.end_point[0] + 1
    hi = min(hi, lo + MAX_SCAN)
    return lo, hi, "\n".join(lines[lo:hi])  # from the line after the def


def called_names(
    state: ProgramState, report: TestReport | None, targets: Sequence[str]
) -> list[str]:
    """Names called in the failing tests' bodies (the test functions their traceback passes
    through), nearest the failing line first."""
    names: list[str] = []
    seen: set[tuple[str, int]] = set()
    for t in targets:
        outcome = report.tests.get(t) if report is not None else None
        frames = [f for f in outcome.frames if is_test_file(f[0])] if outcome is not None else []
        for path, line in frames:
            try:
                lo, _, text = _body(state, path, line)
            except (KeyError, IndexError):
                continue
            if (path, lo) in seen:
                continue
            seen.add((path, lo))
            # the calls nearest the failing line first: `get_work()` just above the failing
            # assertion before the ten `add_task()` calls that set the test up
            near = [ln for p, ln in frames if p == path]
            names += [n for n in _names(text, near, lo + 1) if n not in names]
    return names[:MAX_NAMES]


def callee_suspicions(
    state: ProgramState,
    report: TestReport | None,
    targets: Sequence[str],
    focus: Sequence[Suspicion] = (),
) -> list[Suspicion]:
    """A suspicion on the first body line of each project definition the failing tests call
    (and what those call), then of what the most suspicious functions call."""
    defs = _Defs(state)
    out: list[Suspicion] = []
    shown: set[tuple[str, int]] = set()

    def add(
        names: list[str], skip: tuple[str, int, int] | None = None, cap: int = MAX_CALLEES
    ) -> list[tuple[str, int]]:
        added: list[tuple[str, int]] = []
        for name in names:
            for path, line in defs.of(name):
                body = line + 2  # the body's first line, 1-based
                inside = skip is not None and skip[0] == path and skip[1] <= body <= skip[2]
                if (path, body) in shown or inside or len(out) >= MAX_CALLEES:
                    continue
                if len(added) >= cap:
                    return added
                shown.add((path, body))
                out.append(Suspicion(path, body, SCORE, (CONTEXT_ONLY,)))
                added.append((path, body))
        return added

    first = add(called_names(state, report, targets))
    # one level down from what the tests call directly
    for path, line in first:
        lo, hi, text = _body(state, path, line)
        add(_names(text), (path, lo, hi), PER_FUNCTION)
    # what the most suspicious functions call, nearest their ranked lines first
    ranked = [
        s
        for s in sorted(focus, key=lambda s: -s.score)
        if s.path.endswith(".py") and not is_test_file(s.path) and CONTEXT_ONLY not in s.reasons
    ]
    # functions ordered by their best score, then by how many ranked lines they hold: when the
    # spectrum ties (the failing tests run alone), the function the run spent its lines in
    # comes before one that only sorts first by name
    found: list[tuple[str, int, int, str]] = []
    best: dict[int, tuple[float, int]] = {}
    for s in ranked:
        at = next(
            (i for i, (p, lo, hi, _) in enumerate(found) if p == s.path and lo <= s.line <= hi),
            None,
        )
        if at is None:
            if len(found) >= 4 * RANKED_FUNCTIONS:
                continue
            try:
                found.append((s.path, *_body(state, s.path, s.line)))
            except (KeyError, IndexError):
                continue
            at = len(found) - 1
        score, count = best.get(at, (s.score, 0))
        best[at] = (max(score, s.score), count + 1)
    order = sorted(best, key=lambda i: (-best[i][0], -best[i][1], i))
    spans = [found[i] for i in order[:RANKED_FUNCTIONS]]
    for path, lo, hi, text in spans:
        inside = [s for s in ranked if s.path == path and lo <= s.line <= hi]
        top = max((s.score for s in inside), default=0.0)
        # nearest its best-scored lines: a long function's many tied lines say little
        near = [s.line for s in inside if s.score >= top]
        add(_names(text, near, lo + 1), (path, lo, hi), PER_FUNCTION)
    return out
