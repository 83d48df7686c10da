"""A test that only hangs while the baseline traces coverage is not a target: re-run without the
tracer (with a longer per-test limit), it passes, and the repair is about the real failure."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from tests.testing.legacy_projects import write_legacy
from treefix.cli.app import app

# what luigi's scheduler speed tests do under a line tracer (10 s traced, 2 s plain), made
# deterministic: it spins for as long as a tracer is installed
SLOW = """\
import sys


def test_speed():
    while sys.gettrace() is not None:
        pass
"""


def _repair(root: Path, *extra: str):
    args = ["repair", str(root), "--json", "--sandbox", "local", "--workers", "2"]
    args += ["--max-evals", "100", "--time-limit", "150", "--per-test-timeout", "1"]
    args += ["--test-cmd", f"{sys.executable} -m pytest", *extra]
    result = CliRunner().invoke(app, args)
    return result, json.loads(result.stdout[result.stdout.index("{") :])


def test_a_test_slow_only_under_the_tracer_is_not_a_target(tmp_path: Path):
    root = write_legacy(tmp_path / "proj")
    (root / "tests/test_speed.py").write_text(SLOW)
    result, report = _repair(root)
    assert result.exit_code == 0, result.output
    assert report["targets"] == ["tests/test_unit.py::StatsTest::test_mean"]
    assert report["flaky"] == ["tests/test_speed.py::test_speed"]
    assert report["status"] == "fixed" and report["fix"]["files"] == ["pkg/stats.py"]


def test_a_slow_test_that_times_out_in_the_baseline_and_the_validation_does_not_reject_the_fix(
    tmp_path: Path,
):
    """luigi's scheduler speed tests on a loaded machine: slower than the per-test limit in the
    baseline (re-run untraced with a longer limit they pass: flaky, not targets) and again in
    the full-suite validation. Every other test passes there and the target is fixed: the fix
    is validated, not rejected for a timeout the baseline had too."""
    root = write_legacy(tmp_path / "proj")
    (root / "tests/test_speed.py").write_text(
        "import time\n\n\ndef test_speed():\n    time.sleep(1.6)\n"
    )
    result, report = _repair(root)
    assert result.exit_code == 0, result.output
    assert report["flaky"] == ["tests/test_speed.py::test_speed"]
    assert report["baseline"]["status"] == "timeout"
    assert report["status"] == "fixed" and report["fix"]["files"] == ["pkg/stats.py"]
