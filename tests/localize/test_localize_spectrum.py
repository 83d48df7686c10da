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
