"""Make FixKit 0.0.1 importable and runnable against the sflkit that pip installs beside it today.

Import this module before anything from `fixkit` (runs inside FixKit's own venv, never treefix's).

FixKit 0.0.1 pins only `sflkit>=0.2.16`, so pip brings sflkit 0.5.x, whose API moved on:

1. `fixkit.localization.localization` does `from sflkit import Predicate` (to look its metric up,
   `getattr(Predicate, "Ochiai")`); sflkit 0.5 no longer re-exports `Predicate` at top level. It
   still lives in `sflkit.analysis.predicate`, with the same `Ochiai` method: re-export it.
2. `CoverageLocalization` builds `Spectrum(file, line, po, pn, fo, fn)`; in sflkit 0.5 `Spectrum`
   is abstract (`analysis_type`, `events`, `deserialize`). A line spectrum is what FixKit means:
   a concrete subclass that says so, nothing else changed (the counts and `Ochiai` are sflkit's).

Two bugs of FixKit 0.0.1 itself that stop GenProg/Kali from running are papered over in
`fixkit_driver.py`, where they are used: `PyKali.__init__` passes `initial_candidate=` to a base
class that takes `src=`, and the delta-debugging minimizer hands one candidate to an engine that
expects a population.
"""

from __future__ import annotations

import sflkit
from sflkit.analysis.analysis_type import AnalysisType
from sflkit.analysis.predicate import Predicate
from sflkit.analysis.spectra import Line, Spectrum


class LineSpectrum(Spectrum):
    """sflkit 0.2's concrete `Spectrum(file, line, counts...)`: a line's pass/fail counts."""

    @staticmethod
    def analysis_type() -> AnalysisType:
        return AnalysisType.LINE

    @staticmethod
    def events() -> list:
        return []

    @staticmethod
    def deserialize(s: dict) -> Spectrum:
        return Line.deserialize(s)


def install() -> None:
    sflkit.Predicate = Predicate  # type: ignore[attr-defined]
    import fixkit.localization.coverage as coverage

    coverage.Spectrum = LineSpectrum  # type: ignore[misc]


install()
