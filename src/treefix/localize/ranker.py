"""Fault localisation: rank the statements most likely to hold the fault.

Signals, each in [0, 1] per statement (keyed by path and the statement's first line, max over
its lines and over the failing tests):

  tb     traceback (frames.py): 1.0 at the innermost project frame outside test files, x0.8 per
         frame outward. The innermost loop around a frame gets LOOP_SHARE of it at its header;
         when the test timed out every loop around a frame gets TIMEOUT_HEADER at its header and
         TIMEOUT_BODY on its body (x0.9 per loop outward): the interrupted line is arbitrary,
         the loop is not.
  och    Ochiai over the coverage spectrum (spectrum.py), function bodies only: module and class
         bodies run once at import, so their per-test coverage is noise.
         An `if`/`elif`/`while` header the failing tests ran takes DECISION_SHARE (0.9) of the
         highest Ochiai of the statements directly in its branches: the decision is nearly as
         suspicious as where it led.
  syntax files that do not compile (syntax_errors.py), reported at raw lines.
  guard  when the innermost frame is a `raise` under an `if` (guards.py): the `if` and every
         statement of the project functions its condition calls get GUARD_SHARE of its tb.
  slice  the statements above the innermost frame, in its function, that assigned the names it
         (a guarded raise: its `if`'s condition) reads, transitively (slice.py): SLICE_SHARE of
         its tb, x0.8 per hop; only with coverage, and only those the failing tests ran.
         Beyond the function (origins.py): the class's `self.x = ...` for a `self.x` it reads,
         and a `def` whose defaulted parameter it (or such an assignment) reads, at the same
         shares; a `def` header takes the Ochiai of its function's first statement the tests ran.
  echo   a statement the failing tests ran whose string literal the failure repeats on one side
         of its comparison only (echo.py) gets ECHO_SHARE as tb: it built the wrong value.

  score = 1 - (1 - W*tb) * (1 - W*och)     W = 0.9, when some failing test has coverage data
  score = max(tb, FLOOR if the statement shares a function with a frame)   without coverage
  score = max(score, syntax)

The noisy-or lets either signal alone reach 0.9 while agreement climbs toward 1: a traceback
line the failing tests ran outranks lines only the spectrum points at, and among spectrum lines
those fewer passing tests ran come first. Ordering is (-score, the tie-break of order.py, path,
line), capped at `limit`: among equal scores, statements where a failing test's traceback passes,
then those with something to get wrong, then those whose words are closer to the failing tests'.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from treefix.code.syntax import enclosing_function, has_syntax_error
from treefix.code.testfiles import is_test_file
from treefix.localize.echo import echoed_lines
from treefix.localize.files import PathResolver
from treefix.localize.focus import focus_tokens
from treefix.localize.frames import (
    DECAY,
    TracebackBlock,
    chains_for,
    is_timeout,
    parse_traceback_text,
    score_chain,
)
from treefix.localize.guards import GUARD_SHARE, guarded_statements
from treefix.localize.lexical import test_tokens
from treefix.localize.order import TieBreak
from treefix.localize.origins import value_origins
from treefix.localize.slice import backward_slice, failing_expression
from treefix.localize.spectrum import Spectrum, build_spectrum
from treefix.localize.statements import (
    FileIndex,
    deciding,
    enclosing_loop,
    in_function,
    index_file,
    start_line,
    statements_within,
)
from treefix.localize.syntax_errors import syntax_lines
from treefix.types import ProgramState, Suspicion, TestOutcome, TestReport

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = ["is_test_file", "localize"]  # is_test_file: the kernel's, re-exported for old callers

W = 0.9
LOOP_SHARE = 0.5
TIMEOUT_HEADER = 0.95
TIMEOUT_BODY = 0.85
TIMEOUT_LOOP_DECAY = 0.9
FLOOR = 0.1
# what a run that stopped on a file it could not compile says (pytest, unittest, the interpreter)
_SYNTAX_MARKERS = ("SyntaxError", "IndentationError", "TabError")
ECHO_SHARE = 0.8
# A decision is one step removed from its branch's evidence. At 0.95 and above the search tried
# rewriting the condition first and routed around a wrong statement instead of fixing it
# (tests/pipeline/test_focus_order.py: `if x > 1` -> `if x < 1` rather than `x * 3` -> `x * 2`).
DECISION_SHARE = 0.9
SLICE_SHARE = 0.6  # a name-based slice over-approximates: weaker than the guard's 0.8
_REASONS = ("syntax", "traceback", "guard", "slice", "echo", "loop", "ochiai", "enclosing")

Key = tuple[str, int]
# content hash -> syntax-error lines ({} for the files that compile: almost all of them)
_SYNTAX_BY_HASH: dict[bytes, dict[int, float]] = {}
_SYNTAX_CACHE_SIZE = 200_000


@dataclass
class _Signals:
    tb: float = 0.0
    och: float = 0.0
    floor: float = 0.0
    syntax: float = 0.0
    reasons: set[str] = field(default_factory=set)


class _Ranking:
    """Accumulates per-statement signals for one `localize` call."""

    def __init__(self, state: ProgramState):
        self.state = state
        try:
            self.paths = [p for p in state.paths() if isinstance(p, str)]
        except Exception:
            self.paths = []
        self.resolver = PathResolver(self.paths)
        self._indexes: dict[str, FileIndex | None] = {}
        self.signals: dict[Key, _Signals] = {}
        self._definitions: dict[str, list[tuple[str, Node]]] = {}  # function name -> its defs
        # where the failing tests' tracebacks pass through project code: files, and functions
        # by (path, start byte)
        self.frame_files: set[str] = set()
        self.frame_scopes: set[tuple[str, int]] = set()
        self.with_spectrum = False  # set once the spectrum is in

    def test_sources(self, nodeids: Sequence[str]) -> list[bytes]:
        out = []
        for path in dict.fromkeys(n.split("::", 1)[0] for n in nodeids):
            resolved = self.resolver.resolve(path)
            try:
                out.append(bytes(self.state.read(resolved)) if resolved else b"")
            except Exception:
                continue
        return out

    def test_index(self, raw: str) -> FileIndex | None:
        path = self.resolver.resolve(raw)
        return self.index(path) if path is not None else None

    def index(self, path: str) -> FileIndex | None:
        if path not in self._indexes:
            try:
                self._indexes[path] = index_file(bytes(self.state.read(path)))
            except Exception:  # unreadable or pathological file: skip it, never fail the run
                self._indexes[path] = None
        return self._indexes[path]

    def _syntax_of(self, path: str) -> dict[int, float]:
        """Syntax-error lines of a file, cached by content hash across calls: an unchanged file
        is never compiled or parsed again (a search re-localises many times over one repo)."""
        try:
            source = bytes(self.state.read(path))
        except Exception:
            return {}
        key = hashlib.blake2b(source, digest_size=16).digest()
        found = _SYNTAX_BY_HASH.get(key)
        if found is None:
            index = None if not has_syntax_error(source) else self.index(path)
            found = syntax_lines(index) if index is not None else {}
            if len(_SYNTAX_BY_HASH) >= _SYNTAX_CACHE_SIZE:
                _SYNTAX_BY_HASH.clear()  # rare: a bound on memory, not a policy
            _SYNTAX_BY_HASH[key] = found
        return found

    def project_path(self, raw: str) -> str | None:
        path = self.resolver.resolve(raw)
        return None if path is None or is_test_file(path) else path

    def at(self, path: str, line: int) -> _Signals:
        return self.signals.setdefault((path, line), _Signals())

    def bump(self, path: str, node: Node, attr: str, score: float, reason: str) -> None:
        sig = self.at(path, start_line(node))
        if score > getattr(sig, attr):
            setattr(sig, attr, score)
        sig.reasons.add(reason)

    # -- signals -------------------------------------------------------------------------

    def add_syntax(self, evidence: str) -> None:
        """Lines of the files that do not compile - those the run shows it reached: named in the
        failing tests' output, or all of them when the output reports a syntax error and names
        none, or says nothing at all. A repository's never-imported files (Python 2 examples, a `settings.py` that is
        not Python) fail to compile too, and ranked first they sent the whole search there."""
        broken = {
            path: lines
            for path in self.paths
            if not is_test_file(path) and (lines := self._syntax_of(path))
        }
        named = {p: v for p, v in broken.items() if _names_file(evidence, p)}
        if not named and (not evidence.strip() or any(m in evidence for m in _SYNTAX_MARKERS)):
            named = broken
        for path, found in named.items():
            for line, score in found.items():
                sig = self.at(path, line)
                sig.syntax = max(sig.syntax, score)
                sig.reasons.add("syntax")

    def add_spectrum(self, spectrum: Spectrum) -> None:
        for (path, line), score in spectrum.suspicious_lines().items():
            index = self.index(path)
            node = index.statement(line) if index is not None else None
            if node is None or not in_function(node):
                continue
            self.bump(path, node, "och", score, "ochiai")
        self.add_decisions()

    def add_decisions(self) -> None:
        """A branch's decision is nearly as suspicious as the branch: the `if`/`elif`/`while`
        header takes DECISION_SHARE of the highest Ochiai of the statements directly in its
        branches (one level, from the spectrum's own scores). A wrong condition sends the failing test into a branch the
        passing tests rarely take, so the branch scores high and the condition, which every
        test evaluates, low."""
        spectrum = {key: sig.och for key, sig in self.signals.items() if sig.och > 0}
        for (path, line), och in spectrum.items():
            index = self.index(path)
            node = index.statement(line) if index is not None else None
            decision = deciding(node) if node is not None else None
            head = self.signals.get((path, start_line(decision))) if decision else None
            inherited = och * DECISION_SHARE
            if head is not None and head.och > 0 and inherited > head.och:
                head.och = inherited

    def add_chain(self, chain: list[tuple[str, int]], timeout: bool, floor: bool) -> None:
        for path, line, score in score_chain(chain):
            index = self.index(path)
            if index is not None and index.broken:
                # A broken tree's statement boundaries lie: keep the line, like the syntax signal.
                if line <= index.line_count:
                    sig = self.at(path, line)
                    sig.tb = max(sig.tb, score)
                    sig.reasons.add("traceback")
                continue
            node = index.statement(line) if index is not None else None
            if node is None:
                continue
            self.bump(path, node, "tb", score, "traceback")
            if node.type == "raise_statement" and score >= 1.0:  # the innermost frame raised
                self.add_guard(path, node, score)
            if score >= 1.0:
                self.add_slice(path, node, score)
            self.frame_files.add(path)
            scope = enclosing_function(node)
            if scope is not None:
                self.frame_scopes.add((path, scope.start_byte))
            loop = enclosing_loop(node)
            if loop is not None and not timeout:
                self.bump(path, loop, "tb", LOOP_SHARE * score, "loop")
            weight = score
            while timeout and loop is not None:
                self.bump(path, loop, "tb", TIMEOUT_HEADER * weight, "loop")
                body = loop.child_by_field_name("body")
                for inner in statements_within(body) if body is not None else ():
                    self.bump(path, inner, "tb", TIMEOUT_BODY * weight, "loop")
                weight *= TIMEOUT_LOOP_DECAY
                loop = enclosing_loop(loop.parent) if loop.parent is not None else None
            function = enclosing_function(node) if floor else None
            if function is not None:
                for other in statements_within(function):
                    self.bump(path, other, "floor", FLOOR, "enclosing")

    def add_guard(self, path: str, raise_stmt: Node, score: float) -> None:
        """The `if` that chose to raise and the project functions its condition calls."""

        def read(p: str) -> bytes:
            return bytes(self.state.read(p))

        found = guarded_statements(raise_stmt, self.paths, read, self.index, self._definitions)
        for where, stmt in found:
            self.bump(where or path, stmt, "tb", GUARD_SHARE * score, "guard")

    def add_slice(self, path: str, stmt: Node, score: float) -> None:
        """The statements above the innermost frame, in its function, that assigned what it
        read (slice.py): SLICE_SHARE of its tb, x DECAY per further hop. Only those the failing
        tests ran, so only with coverage: a slice by names alone over-approximates."""
        function = enclosing_function(stmt)
        if function is None or not self.with_spectrum:
            return
        for found, hops in backward_slice(failing_expression(stmt), function):
            sig = self.signals.get((path, start_line(found)))
            if sig is not None and sig.och > 0:
                self.bump(path, found, "tb", SLICE_SHARE * DECAY ** (hops - 1) * score, "slice")
        self.add_origins(path, stmt, function, score)

    def add_origins(self, path: str, stmt: Node, function: Node, score: float) -> None:
        """Beyond the function (origins.py): the class's `self.x = ...` for a `self.x` the
        failing statement reads, and a `def` whose parameter default it reads, at the slice's
        shares. A `def` header's defaults are bound each time the function is entered, so it
        takes the Ochiai of the function's first statement the tests ran; only statements and
        functions the failing tests ran count."""
        for found, hops in value_origins(failing_expression(stmt), function):
            share = SLICE_SHARE * DECAY ** (hops - 1) * score
            if found.type == "function_definition":
                body = found.child_by_field_name("body")
                ran = [
                    sig.och
                    for inner in (statements_within(body) if body is not None else ())
                    if (sig := self.signals.get((path, start_line(inner)))) is not None
                    and sig.och > 0
                ]
                if not ran:
                    continue
                self.bump(path, found, "och", ran[0], "ochiai")
                self.bump(path, found, "tb", share, "slice")
                continue
            sig = self.signals.get((path, start_line(found)))
            if sig is not None and sig.och > 0:
                self.bump(path, found, "tb", share, "slice")

    def add_echo(self, evidence: str, with_spectrum: bool) -> None:
        """Statements the failing tests ran (with the spectrum; else in a function a traceback
        passes through) whose string literals the failure output repeats (echo.py)."""
        if not evidence.strip():
            return
        for path in sorted({p for p, _ in self.signals} | self.frame_files):
            index = self.index(path)
            if index is None or index.broken or is_test_file(path):
                continue
            for line in echoed_lines(index.source, evidence):
                node = index.statement(line)
                if node is None:
                    continue
                sig = self.signals.get((path, start_line(node)))
                scope = enclosing_function(node)
                ran = (
                    sig is not None and sig.och > 0
                    if with_spectrum
                    else scope is not None and (path, scope.start_byte) in self.frame_scopes
                )
                if ran:
                    self.bump(path, node, "tb", ECHO_SHARE, "echo")

    # -- result --------------------------------------------------------------------------

    def suspicions(self, with_spectrum: bool, order: TieBreak) -> list[Suspicion]:
        out: list[Suspicion] = []
        for (path, line), sig in self.signals.items():
            if with_spectrum:
                score = 1.0 - (1.0 - W * sig.tb) * (1.0 - W * sig.och)
            else:
                score = max(sig.tb, sig.floor)
            score = round(min(1.0, max(score, sig.syntax)), 6)
            if score <= 0.0:
                continue
            if with_spectrum or sig.floor <= sig.tb:
                sig.reasons.discard("enclosing")  # the floor did not set this score
            reasons = tuple(r for r in _REASONS if r in sig.reasons)
            out.append(Suspicion(path=path, line=line, score=score, reasons=reasons))
        out.sort(key=lambda s: (-s.score, *order.key(s.path, s.line), s.path, s.line))
        return out


def _evidence(baseline: TestReport, failing: list[TestOutcome]) -> str:
    """What the run said about the failing tests: the output tail, messages, details, frames."""
    parts = [baseline.output if isinstance(baseline.output, str) else ""]
    for o in failing:
        frames = [str(f[0]) for f in o.frames if isinstance(f, (tuple, list)) and f]
        parts += [str(o.message), str(o.detail), *frames]
    return "\n".join(parts)


def _names_file(text: str, path: str) -> bool:
    """The path, or its dotted module name (`pkg.mod` in an ImportError), appears in the text."""
    module = path[:-3].replace("/", ".") if path.endswith(".py") else path
    return path in text or module in text


def localize(
    state: ProgramState, baseline: TestReport, targets: Sequence[str], limit: int = 40
) -> list[Suspicion]:
    """Suspicious statements for the failing `targets`, most suspicious first."""
    if limit <= 0:
        return []
    ranking = _Ranking(state)
    tests = baseline.tests if isinstance(baseline.tests, dict) else {}
    failing = list(dict.fromkeys(t for t in targets if isinstance(t, str)))
    ranking.add_syntax(_evidence(baseline, [tests[n] for n in failing if n in tests]))

    passing = [n for n, t in tests.items() if getattr(t, "outcome", None) == "passed"]
    coverage = baseline.coverage if isinstance(baseline.coverage, dict) else None
    spectrum = build_spectrum(coverage, failing, passing, ranking.project_path)
    if spectrum is not None:
        ranking.add_spectrum(spectrum)
        ranking.with_spectrum = True

    output_blocks: list[TracebackBlock] | None = None
    for nodeid in failing:
        outcome = tests.get(nodeid)
        if outcome is None:
            continue
        if not outcome.frames and output_blocks is None:
            output = baseline.output if isinstance(baseline.output, str) else ""
            output_blocks = parse_traceback_text(output)
        for chain in chains_for(outcome, output_blocks or [], ranking.resolver):
            ranking.add_chain(chain, timeout=is_timeout(outcome), floor=spectrum is None)

    said = "\n".join(f"{o.message}\n{o.detail}" for n in failing if (o := tests.get(n)))
    ranking.add_echo(said, spectrum is not None)

    order = TieBreak(
        ranking.index,
        ranking.frame_files,
        ranking.frame_scopes,
        tests=test_tokens(ranking.test_sources(failing), failing),
        focus=focus_tokens(failing, ranking.test_index, said),
    )
    return ranking.suspicions(spectrum is not None, order)[:limit]
