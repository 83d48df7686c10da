"""What treefix's pytest plugin could do in the project's own environment, and what to say about it.

The plugin (support/treefix_pytest.py) writes a first `plugin` line naming the interpreter, pytest
and the coverage recorder, and a `plugin_error` line if its own code fails there. Without the first
line (an interpreter or pytest too old to import it), or after an error, runs are graded by JUnit
XML and the exit code alone: SWE-Factory's exit-code grading never needed the plugin.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from treefix.types import TestReport

SUPPORTED = "Python 3.6+ with pytest 4.6+"


@dataclass
class Harness:
    """Filled in by the runner from the first run (the baseline); read by whoever reports."""

    plugin: bool = True  # treefix's plugin is loaded into the runs
    python: str = ""  # the project's interpreter, as the plugin saw it
    pytest: str = ""
    tracer: str = ""  # what recorded per-test coverage: coverage.py, settrace, sys.monitoring
    problem: str = ""  # why the plugin is off: runs are graded by JUnit + exit code only
    runner: str = ""  # "warm (...)" or "cold (why)": how candidates run, for the header
    tracer_asked: str = ""  # the recorder the sandbox told the plugin to use (Docker: "ctracer")

    def notes(self) -> list[str]:
        """Plain-text lines for the run's messages (nothing when all is as usual)."""
        if self.problem:
            return [
                f"harness: treefix's pytest plugin cannot run here ({self.problem}); grading by "
                "JUnit XML and exit codes only: no per-test time limit, frames or coverage "
                f"(supported: {SUPPORTED})"
            ]
        if self.tracer and self.tracer == self.tracer_asked:
            return [
                f"coverage: treefix's own line tracer ({self.tracer}, as the sandbox asked: its "
                f"Python {self.python} loads it; it streams each test's lines)"
            ]
        if self.tracer and not self.tracer.startswith("coverage.py"):
            return [
                f"coverage: treefix's own line tracer ({self.tracer}; coverage.py is not "
                f"installed for the tests' Python {self.python})"
            ]
        return []


@dataclass
class PluginLines:
    """The plugin's own records in one run's results.jsonl."""

    loaded: dict | None = None  # its `plugin` record
    error: str = ""  # its first `plugin_error`, "where: message"
    modules: list[str] | None = None  # its `modules` record: third-party modules the run imported


def read_plugin_lines(text: str) -> PluginLines:
    out = PluginLines()
    for line in text.splitlines():
        if '"plugin' not in line and '"modules"' not in line:
            continue  # most lines are test results: skip them without parsing
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if not isinstance(rec, dict):
            continue
        if rec.get("event") == "plugin" and out.loaded is None:
            out.loaded = rec
        elif rec.get("event") == "modules" and isinstance(rec.get("names"), list):
            out.modules = [str(n) for n in rec["names"]]
        elif rec.get("event") == "plugin_error" and not out.error:
            out.error = f"{rec.get('where', '?')}: {rec.get('message', '')}"[:300]
    return out


def load_failure(output: str) -> str:
    """One line saying why pytest stopped before the plugin said hello."""
    # pytest prefixes error lines with "E   "
    lines = [re.sub(r"^E\s+", "", ln.strip()) for ln in output.splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if "treefix_pytest" in line:
            errors = [ln for ln in lines[i:] if re.search(r"\w(Error|Exception)\b", ln)]
            return (errors[-1] if errors else line)[:300]
    errors = [ln for ln in lines if re.search(r"\berror\b|\w(Error|Exception)\b", ln, re.I)]
    return (errors[-1] if errors else lines[-1] if lines else "no output")[:300]


def internal_error(report: TestReport) -> str | None:
    """pytest's own INTERNALERROR (exit 3): the harness broke, not the project."""
    if report.exit_code != 3:
        return None
    lines = [ln for ln in report.output.splitlines() if ln.startswith("INTERNALERROR>")]
    last = lines[-1].removeprefix("INTERNALERROR>").strip() if lines else "exit code 3"
    return last[:300]


def broken_harness(report: TestReport, harness: Harness) -> str | None:
    """The baseline says nothing about the project because the test harness itself failed."""
    why = internal_error(report)
    if why is None:
        return None
    plugin = "" if harness.plugin else " (treefix's plugin was already off)"
    return (
        f"pytest stopped with an internal error{plugin}: {why}. This is the test harness, not "
        "the project: run the test command by hand to see it, and check the project's pytest "
        f"plugins and conftest.py (treefix supports {SUPPORTED})"
    )
