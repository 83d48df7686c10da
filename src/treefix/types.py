"""Plain data handed between the stages: edits, candidates, test reports, suspicions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from treefix.code.normalize import normalize_source


class Status(StrEnum):
    """How one run of the test command ended (the verdict comes from its exit code)."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # collection or import error, usage error of the runner
    TIMEOUT = "timeout"
    CRASHED = "crashed"  # killed by a signal, interpreter died
    OOM = "oom"  # memory limit hit
    RESOURCE_LIMIT = "resource_limit"  # process-count limit hit (a fork bomb), run did not pass
    NO_TESTS = "no_tests"  # pytest exit 5 is not a pass
    SANDBOX_ERROR = "sandbox_error"


@dataclass(frozen=True)
class Edit:
    """Replace bytes [start, end) of `path` (as the parent state has it) by `replacement`."""

    path: str  # posix path relative to the project root
    start: int
    end: int
    replacement: str

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement.encode() + source[self.end :]


def apply_edits(source: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply non-overlapping edits of one file, last first so offsets stay valid."""
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        source = edit.apply(source)
    return source


@dataclass(frozen=True)
class Candidate:
    """A proposed change to a program state: one or more edits made together."""

    edits: tuple[Edit, ...]
    operator: str  # operator family, e.g. "binop", "const", "delete"
    description: str  # one line for humans: "replace `<` with `<=`"
    prior: float = 0.5  # ordering weight in (0, 1]: suspiciousness x operator prior
    path: str = ""  # where it points, for reports
    line: int = 0  # 1-based


@dataclass(frozen=True)
class Suspicion:
    """A statement that probably holds the fault."""

    path: str
    line: int  # 1-based first line of the statement
    score: float  # 0..1
    reasons: tuple[str, ...] = ()  # "traceback", "ochiai", "syntax"


@dataclass
class TestOutcome:
    __test__ = False  # not a pytest test class
    nodeid: str
    outcome: str  # passed | failed | error | skipped
    message: str = ""  # first line of the failure, e.g. "AssertionError: assert 3 == 4"
    duration: float = 0.0
    frames: list[tuple[str, int]] = field(
        default_factory=list
    )  # (relative path, line), outermost first
    detail: str = ""  # pytest's "E" lines: the assertion diff / exception text, capped

    @property
    def exc_type(self) -> str:
        head = self.message.split(":", 1)[0].strip()
        return head if head.isidentifier() or "." in head else ""


@dataclass
class TestReport:
    """The result of one sandboxed run of the test command."""

    __test__ = False

    status: Status
    exit_code: int | None
    duration: float
    output: str = ""  # capped, decoded with replacement
    truncated: bool = False
    tests: dict[str, TestOutcome] = field(default_factory=dict)
    coverage: dict[str, dict[str, list[int]]] | None = None  # nodeid -> path -> lines
    detail: str = ""  # one line: why this status (signal, limit, missing marker...)
    # seconds from the start of the run to the end of pytest's collection (import + collection),
    # from the plugin's timestamp; None when the plugin did not say
    startup: float | None = None
    collected: list[str] | None = None  # node ids pytest collected, when the run listed them
    coverage_note: str = ""  # what was lost when per-test coverage could not be read whole
    # coverage was asked for, but the run collected more tests than its cap and traced none
    trace_deferred: bool = False
    # the tests the coverage covers when a subset was traced after an untraced run (a large
    # suite's baseline); None: every test that ran was traced (or no coverage at all)
    traced: int | None = None

    def failing(self) -> list[str]:
        return [n for n, t in self.tests.items() if t.outcome in ("failed", "error")]

    def passing(self) -> list[str]:
        return [n for n, t in self.tests.items() if t.outcome == "passed"]

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


class ProgramState:
    """The project's source files as one search node sees them: the original plus an overlay."""

    __slots__ = ("_base", "overlay")

    def __init__(self, base: Mapping[str, bytes], overlay: Mapping[str, bytes] | None = None):
        self._base = base
        self.overlay: dict[str, bytes] = dict(overlay or {})

    def read(self, path: str) -> bytes:
        if path in self.overlay:
            return self.overlay[path]
        return self._base[path]

    def paths(self) -> list[str]:
        return sorted(self._base)

    def original(self, path: str) -> bytes:
        return self._base[path]

    def derive(self, edits: Iterable[Edit]) -> ProgramState:
        by_path: dict[str, list[Edit]] = {}
        for e in edits:
            by_path.setdefault(e.path, []).append(e)
        overlay = dict(self.overlay)
        for path, file_edits in by_path.items():
            new = apply_edits(self.read(path), file_edits)
            if new == self._base[path]:
                overlay.pop(path, None)
            else:
                overlay[path] = new
        return ProgramState(self._base, overlay)

    def changed(self) -> dict[str, bytes]:
        return dict(self.overlay)

    def key(self) -> str:
        """Identity of the state for the transposition table (changed files, normalised text)."""
        h = hashlib.sha256()
        for path in sorted(self.overlay):
            h.update(path.encode() + b"\0" + normalize_source(self.overlay[path]) + b"\0")
        return h.hexdigest()
