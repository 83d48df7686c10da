"""MutationProposer: LLM-free candidates from mutation operators and fix templates (GenProg/TBar).

Each suspicious statement is mutated by every operator family; mutants are ordered by
suspiciousness x family prior x the operator's weight x edit size (`mutate.priors`), then checked
in that order - those that do not compile, do nothing, or repeat a better one (same normalised
program) are dropped - until `max_candidates` are kept: the cost of a call grows with what it
returns, not with how many mutants the operators can think of. Checks run on a slice of the file
(see `mutate.regions`), so a long file costs no more than a short one. A file that does not
compile gets the line-based `syntax` repairs instead (`mutate.repair`).
"""

from __future__ import annotations

import hashlib
import random
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from treefix.code.normalize import normalize_source
from treefix.code.syntax import has_syntax_error, parse, statement_at
from treefix.code.testfiles import is_test_file
from treefix.propose.mutate import OPERATORS, Mutant, Site, SourceFile
from treefix.propose.mutate.broken import repairs
from treefix.propose.mutate.hints import Hints, read_feedback
from treefix.propose.mutate.priors import OPERATOR_PRIORS, size_factor
from treefix.propose.mutate.regions import Region, site_regions
from treefix.protocols import Feedback, Proposer
from treefix.types import Candidate, Edit, ProgramState, Suspicion, apply_edits

_MIN_SCORE = 0.01  # a zero-score suspicion still orders its mutants by family


@dataclass
class _Pending:
    """A mutant that parsed and changes something, waiting for its place in the order."""

    prior: float
    mutant: Mutant
    path: str
    line: int
    verify: bytes | None = None  # the source to compile it against, when parsing is not enough
    file: SourceFile | None = None  # None: already keyed (syntax repairs)
    regions: list[Region] | None = None
    key: tuple | None = None


class MutationProposer(Proposer):  # no history, no refills: its proposals never change
    name = "mutation"

    def __init__(
        self,
        seed: int = 0,
        max_statements: int = 12,
        max_candidates: int = 400,
        max_files: int = 64,
    ):
        self.seed = seed
        self.max_statements = max_statements
        self.max_candidates = max_candidates
        # Files parsed by earlier calls, by content: an expansion re-reads mostly unchanged files
        # (a child differs from its parent in one), and a file's tree, scopes, donor indexes and
        # mutant keys depend on its bytes alone. Least recently used first out.
        self.max_files = max_files
        self._files: OrderedDict[tuple[str, bytes], tuple[SourceFile, bool]] = OrderedDict()
        self._lock = threading.Lock()  # executors may expand from several threads

    def propose(
        self, state: ProgramState, focus: Sequence[Suspicion], feedback: Feedback | None = None
    ) -> list[Candidate]:
        hints = read_feedback(feedback)
        sites, broken, files = self._select(state, focus)
        pending: list[_Pending] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of mutants are not ours to show
            for site in sites:
                site.exceptions = tuple(hints.exceptions)
                site.not_callable = hints.not_callable
                site.values = tuple(hints.values)
                self._mutate_site(site, hints, pending)
            for path, lines in broken.items():
                self._repair_file(files[path], lines, pending)
            return self._ordered(pending)

    def _select(
        self, state: ProgramState, focus: Sequence[Suspicion]
    ) -> tuple[list[Site], dict[str, list[tuple[int, float]]], dict[str, SourceFile]]:
        """The top statements to mutate (deduplicated), and suspicious lines of broken files."""
        files: dict[str, SourceFile] = {}
        broken_paths: set[str] = set()
        sites: list[Site] = []
        broken: dict[str, list[tuple[int, float]]] = {}
        seen: set[tuple] = set()
        taken = 0
        for s in sorted(focus, key=lambda s: -s.score):
            if taken >= self.max_statements:
                break
            if not s.path.endswith(".py") or is_test_file(s.path):
                continue
            if s.path not in files:
                try:
                    source = state.read(s.path)
                except KeyError:
                    continue
                files[s.path], is_broken = self._file(s.path, source)
                if is_broken:
                    broken_paths.add(s.path)
            file = files[s.path]
            if s.path in broken_paths:
                key: tuple = (s.path, s.line)
                if key not in seen:
                    seen.add(key)
                    broken.setdefault(s.path, []).append((s.line, max(s.score, _MIN_SCORE)))
                    taken += 1
                continue
            stmt = statement_at(file.tree, s.line)
            if stmt is None:
                continue
            key = (s.path, stmt.start_byte, stmt.end_byte, stmt.type)
            if key in seen:
                continue
            seen.add(key)
            sites.append(Site(file, stmt, max(s.score, _MIN_SCORE), stmt.start_point[0] + 1))
            taken += 1
        return sites, broken, files

    def _file(self, path: str, source: bytes) -> tuple[SourceFile, bool]:
        """The parsed file and whether it fails to compile, from the cache when seen before."""
        key = (path, hashlib.blake2b(source, digest_size=16).digest())
        with self._lock:
            hit = self._files.get(key)
            if hit is not None:
                self._files.move_to_end(key)
                return hit
        made = (SourceFile(path, source, parse(source)), has_syntax_error(source))
        if self.max_files > 0:
            with self._lock:
                self._files[key] = made
                while len(self._files) > self.max_files:
                    self._files.popitem(last=False)
        return made

    def _mutate_site(self, site: Site, hints: Hints, pending: list[_Pending]) -> None:
        file = site.file
        regions = site_regions(site)
        # What parsing a slice cannot see: `global` ordering, `from __future__` placement.
        careful = site.scope.declares or (site.func is None and b"__future__" in file.source)
        for op in OPERATORS:
            for m in op(site):
                prior = site.score * OPERATOR_PRIORS[m.family] * m.weight * _size(m, file.source)
                prior = min(1.0, prior * hints.boost(m.family, site.stmt.type))
                p = _Pending(prior, m, file.path, m.line or site.line, file=file, regions=regions)
                if careful:
                    p.verify = file.source
                pending.append(p)

    def _repair_file(
        self, file: SourceFile, lines: list[tuple[int, float]], pending: list[_Pending]
    ) -> None:
        top = max(w for _, w in lines)
        for r in repairs(file.source, lines, file.indent_unit, file.tree):
            m = r.mutant
            prior = min(1.0, top * OPERATOR_PRIORS["syntax"] * m.weight)
            key = (file.path, normalize_source(r.new))
            pending.append(_Pending(prior, m, file.path, m.line, key=key))

    def _ordered(self, pending: list[_Pending]) -> list[Candidate]:
        # Best first; among equal priors the first generated is the one kept of duplicates.
        order = sorted(range(len(pending)), key=lambda i: -pending[i].prior)
        kept: dict[tuple, _Pending] = {}
        raw: dict[tuple, tuple | None] = {}  # one edit reached twice is checked once
        for i in order:
            if len(kept) >= self.max_candidates:
                break
            p = pending[i]
            key = p.key if p.file is None else _cached_key(p, raw)
            if key is None or key in kept:
                continue
            if p.verify is not None and has_syntax_error(_apply(p.verify, p.mutant)):
                continue
            kept[key] = p
        items = list(kept.values())
        random.Random(self.seed).shuffle(items)  # the seed only decides ties
        items.sort(key=lambda p: -p.prior)
        out: list[Candidate] = []
        for p in items:
            m = p.mutant
            out.append(
                Candidate(
                    edits=tuple(Edit(p.path, s, e, r) for s, e, r in m.edits),
                    operator=m.family,
                    description=m.description,
                    prior=p.prior,
                    path=p.path,
                    line=p.line,
                )
            )
        return out


def _size(m: Mutant, source: bytes) -> float:
    """The edit-size factor of the characters the mutant really changes (`a and b` -> `a` is 6:
    the common prefix and suffix of old and new text do not count)."""
    changed = 0
    for s, e, r in m.edits:
        old, new = source[s:e].decode("utf-8", "replace"), r
        head = 0
        while head < min(len(old), len(new)) and old[head] == new[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
            tail += 1
        changed += len(old) + len(new) - 2 * (head + tail)
    return size_factor(changed)


def _cached_key(p: _Pending, raw: dict[tuple, tuple | None]) -> tuple | None:
    """In one call the first site reaching an edit decides its key; the file keeps what a check
    found (by edit and slices: the same answer a fresh check gives) for later calls."""
    assert p.file is not None and p.regions is not None
    seen = (p.path, p.mutant.edits)
    if seen not in raw:
        keys = p.file.keys
        known = (p.mutant.edits, tuple((r.lo, r.hi) for r in p.regions))
        if known not in keys:
            keys[known] = _key(p.file, p.regions, p.mutant)
        raw[seen] = keys[known]
    return raw[seen]


def _apply(source: bytes, m: Mutant) -> bytes:
    return apply_edits(source, (Edit("", s, e, r) for s, e, r in m.edits))


def _key(file: SourceFile, regions: list[Region], m: Mutant) -> tuple | None:
    """What makes two mutants the same program (None: does not parse, or changes nothing)."""
    for r in regions:
        if r.holds(m.edits):
            norm = r.normalise(file.source, m.edits)
            if norm is None:
                continue  # e.g. a line appended at the slice's end, dedented out of it: go wider
            if norm == r.original:
                return None
            return (file.path, r.lo, r.hi, r.prefix, r.suffix, norm)
    new = _apply(file.source, m)  # no slice holds it: the whole file
    if has_syntax_error(new):
        return None
    whole = normalize_source(new)
    return None if whole == file.normalised else (file.path, whole)
