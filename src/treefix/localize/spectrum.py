"""Coverage spectrum: which lines the failing tests ran that the passing ones did not.

    ochiai(s) = failed(s) / sqrt(total_failed * (failed(s) + passed(s)))

failed(s) / passed(s) count the target (failing) / baseline-passing tests that executed line s;
total_failed counts the targets that have coverage data at all, so a target whose data was lost
(killed on timeout) does not drag every score down.

A test without coverage data (a large suite's baseline traces a subset: pipeline/traced.py) is
left out of the population, never counted as a passing test that ran no line: passed(s) counts
only traced tests that ran s, total_passed only traced tests. Ochiai has no term for the passing
tests that did not run s, so the subset's scores are those of the traced tests alone; what a
subset can still get wrong is a line that only untraced passing tests run (passed(s) too low),
which is why the subset is chosen among the tests likeliest to share the failing tests' code.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Line = tuple[str, int]  # (project path, 1-based line)


def ochiai(failed: int, passed: int, total_failed: int) -> float:
    if failed <= 0 or total_failed <= 0:
        return 0.0
    return failed / math.sqrt(total_failed * (failed + passed))


@dataclass
class Spectrum:
    total_failed: int
    total_passed: int
    failed: dict[Line, int] = field(default_factory=dict)
    passed: dict[Line, int] = field(default_factory=dict)

    def score(self, line: Line) -> float:
        return ochiai(self.failed.get(line, 0), self.passed.get(line, 0), self.total_failed)

    def suspicious_lines(self) -> dict[Line, float]:
        """Every line some failing test executed, with its Ochiai score."""
        return {line: self.score(line) for line in self.failed}


def _lines(per_file: object, resolve: Callable[[str], str | None]) -> Iterable[Line]:
    if not isinstance(per_file, Mapping):
        return
    for raw, lines in per_file.items():
        path = resolve(raw)
        if path is None or not isinstance(lines, Iterable) or isinstance(lines, (str, bytes)):
            continue
        for n in set(lines):
            if isinstance(n, int) and not isinstance(n, bool) and n >= 1:
                yield (path, n)


def build_spectrum(
    coverage: Mapping[str, object] | None,
    failing: Sequence[str],
    passing: Iterable[str],
    resolve: Callable[[str], str | None],
) -> Spectrum | None:
    """Line counts over the tests that have coverage data; None when no failing test has any.

    `resolve` maps a coverage path to a project path, or None to ignore it (test files, strays).
    """
    if not coverage:
        return None
    failing_set = set(failing)
    spectrum = Spectrum(0, 0)
    for nodeid in dict.fromkeys(failing):
        if nodeid not in coverage:
            continue
        spectrum.total_failed += 1
        for line in _lines(coverage[nodeid], resolve):
            spectrum.failed[line] = spectrum.failed.get(line, 0) + 1
    if spectrum.total_failed == 0:
        return None
    for nodeid in dict.fromkeys(passing):
        if nodeid in failing_set or nodeid not in coverage:
            continue
        spectrum.total_passed += 1
        for line in _lines(coverage[nodeid], resolve):
            if line in spectrum.failed:  # lines no failing test ran score 0 anyway
                spectrum.passed[line] = spectrum.passed.get(line, 0) + 1
    return spectrum
