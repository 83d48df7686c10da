"""`treefix repair` when the harness is degraded or localisation has nothing: say so, exit 3."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import write_tree
from tests.testing.legacy_projects import write_legacy
from treefix.cli.app import app

FAST = ["--max-evals", "60", "--time-limit", "90", "--workers", "2", "--sandbox", "local"]


def _repair(path: Path, *extra: str):
    result = CliRunner().invoke(app, ["repair", str(path), "--json", *FAST, *extra])
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result, report


@pytest.fixture
def plugin_cannot_load(tmp_path: Path, monkeypatch):
    """treefix's plugin as an interpreter or pytest too old for it would see it: it fails to import."""
    support = tmp_path / "old-support"
    support.mkdir()
    (support / "treefix_pytest.py").write_text("raise ImportError('pytest too old for this')\n")
    monkeypatch.setattr("treefix.sandbox.local.support_dir", lambda: str(support))


def test_a_command_that_is_not_pytest_and_gives_no_traceback_is_exit_3(tmp_path: Path):
    proj = write_tree(
        tmp_path / "proj",
        {
            "calc.py": "def add(a, b):\n    return a - b\n",
            "check.py": "import sys\nfrom calc import add\nsys.exit(0 if add(2, 2) == 4 else 1)\n",
        },
    )
    result, _ = _repair(proj, "--test-cmd", f"{sys.executable} check.py")
    assert result.exit_code == 3, result.output
    assert "no suspicious line" in result.output and "not pytest" in result.output
    assert "search space exhausted" not in result.output


def test_no_coverage_and_a_traceback_in_the_tests_is_exit_3_with_what_to_do(
    tmp_path: Path, plugin_cannot_load
):
    result, _ = _repair(write_legacy(tmp_path / "proj"))
    assert result.exit_code == 3, result.output
    assert "harness: treefix's pytest plugin cannot run here" in result.output
    assert "pytest too old for this" in result.output
    assert "no suspicious line" in result.output and "Python 3.6+ and pytest 4.6+" in result.output
    assert "search space exhausted" not in result.output


def test_a_degraded_harness_still_repairs_from_the_traceback(tmp_path: Path, plugin_cannot_load):
    # the bug raises in the source: frames parsed from pytest's own output localise it
    proj = write_tree(
        tmp_path / "proj",
        {
            "seq.py": "def second(xs):\n    return xs[2]\n",
            "tests/test_seq.py": (
                "from seq import second\n\n\n"
                "def test_pair():\n    assert second([1, 2]) == 2\n\n\n"
                "def test_triple():\n    assert second([5, 6, 7]) == 6\n"
            ),
        },
    )
    result, report = _repair(proj)
    assert "grading by JUnit XML and exit codes only" in result.output
    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed"
    assert "+    return xs[1]" in report["fix"]["patch"]


def test_a_pytest_internal_error_is_exit_3_not_a_search(tmp_path: Path):
    proj = write_legacy(tmp_path / "proj")
    (proj / "conftest.py").write_text(
        "def pytest_runtest_logreport(report):\n    raise RuntimeError('boom in a hook')\n"
    )
    result, _ = _repair(proj)
    assert result.exit_code == 3, result.output
    assert "internal error" in result.output and "boom in a hook" in result.output
    assert "search space exhausted" not in result.output
