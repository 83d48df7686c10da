"""Fault localisation: suspicious statements from tracebacks, coverage spectra and syntax errors."""

from __future__ import annotations

from treefix.code.testfiles import is_test_file
from treefix.localize.ranker import localize

__all__ = ["is_test_file", "localize"]
