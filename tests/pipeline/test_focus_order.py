"""Candidates run the focused tests (targets + guards) in the suite's own order: a target that
leaves state behind must not run before the guard it would break."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from treefix.cli.app import app

APP = """\
STATE = {}


def scale(x):
    if x > 1:
        return x * 3
    return x * 2
"""
# test_small (a guard: it runs the suspicious `if`) passes only while STATE is clean;
# test_big (the target) leaves STATE dirty, as a test that sets an override without undoing it
TESTS = """\
from app import STATE, scale


def test_small():
    assert not STATE
    assert scale(1) == 2


def test_big():
    STATE["seen"] = True
    assert scale(2) == 4
"""


def test_a_target_that_leaves_state_behind_does_not_break_the_guard_before_it(tmp_path: Path):
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "app.py").write_text(APP)
    (root / "tests" / "test_app.py").write_text(TESTS)
    args = ["repair", str(root), "--json", "--sandbox", "local", "--workers", "1"]
    args += ["--proposer", "mutation", "--max-evals", "60", "--time-limit", "120"]
    args += ["--test-cmd", f"{sys.executable} -m pytest"]
    result = CliRunner().invoke(app, args)
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["targets"] == ["tests/test_app.py::test_big"]
    assert report["guards"] == ["tests/test_app.py::test_small"]
    assert report["status"] == "fixed", result.output
    assert "-        return x * 3" in report["fix"]["patch"]
