from __future__ import annotations

import math

import pytest

from treefix.localize.spectrum import build_spectrum, ochiai


def test_ochiai_formula():
    assert ochiai(1, 0, 1) == 1.0
    assert ochiai(0, 3, 2) == 0.0
    assert ochiai(2, 1, 2) == pytest.approx(2 / math.sqrt(2 * 3))
    assert ochiai(1, 0, 0) == 0.0  # no failing tests: nothing to explain


def test_ochiai_values_for_a_tiny_spectrum():
    # Two failing tests (f1, f2), two passing (p1, p2); m.py lines 1-4, plus a test file.
    coverage = {
        "f1": {"m.py": [1, 2, 3], "test_m.py": [9]},
        "f2": {"m.py": [1]},
        "p1": {"m.py": [1, 3, 4]},
        "p2": {"m.py": [3, 4]},
        "other": {"m.py": [2]},  # neither a target nor passing: ignored
    }

    def resolve(path: str) -> str | None:
        return None if path.startswith("test_") else path

    spectrum = build_spectrum(coverage, ["f1", "f2", "dead"], ["p1", "p2", "f1"], resolve)
    assert spectrum is not None
    assert spectrum.total_failed == 2  # "dead" left no coverage: it does not dilute the scores
    assert spectrum.total_passed == 2  # f1 is a target, never a passing test
    scores = spectrum.suspicious_lines()
    assert scores == {
        ("m.py", 1): pytest.approx(2 / math.sqrt(2 * 3)),  # f1 f2 p1 -> 0.8165
        ("m.py", 2): pytest.approx(1 / math.sqrt(2 * 1)),  # f1       -> 0.7071
        ("m.py", 3): pytest.approx(1 / math.sqrt(2 * 3)),  # f1 p1 p2 -> 0.4082
    }
    assert spectrum.score(("m.py", 4)) == 0.0  # only passing tests ran it


def test_no_spectrum_without_failing_coverage():
    def keep(p: str) -> str:
        return p

    assert build_spectrum(None, ["f"], ["p"], keep) is None
    assert build_spectrum({}, ["f"], ["p"], keep) is None
    assert build_spectrum({"p": {"m.py": [1]}}, ["f"], ["p"], keep) is None


def test_passing_tests_without_coverage_are_left_out_not_counted_as_running_nothing():
    """A large suite's baseline traces a subset: the untraced passing tests are absent from the
    coverage. The spectrum is the traced tests' own, as if the others did not exist: an
    untraced test neither counts as passing (total_passed) nor changes a score."""
    traced = {
        "f": {"m.py": [1, 2, 3]},
        "p1": {"m.py": [1, 2]},
        "p2": {"m.py": [1]},
        "p3": {},  # traced, ran no project line
    }
    untraced = [f"u{i}" for i in range(50)]  # outcomes only (the untraced whole-suite run)

    def keep(p: str) -> str:
        return p

    subset = build_spectrum(traced, ["f"], ["p1", "p2", "p3", *untraced], keep)
    alone = build_spectrum(traced, ["f"], ["p1", "p2", "p3"], keep)
    assert subset is not None and alone is not None
    assert subset.total_passed == alone.total_passed == 3
    assert subset.suspicious_lines() == alone.suspicious_lines()
    scores = subset.suspicious_lines()
    # the line no traced passing test ran ranks first, as over the whole traced population
    assert max(scores, key=scores.__getitem__) == ("m.py", 3)
    assert scores[("m.py", 3)] == 1.0 and scores[("m.py", 1)] == pytest.approx(1 / math.sqrt(3))
