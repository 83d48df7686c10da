"""The search end to end through the CLI with the local sandbox: a non-separable two-edit bug
(neither edit alone changes any test outcome) is repaired within a small budget, and the
alternatives found after the first fix are listed in report.json and the panel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import init_repo, write_tree
from treefix.cli.app import app

BOTH_SIGNS = {
    "pkg/__init__.py": "",
    "pkg/signs.py": (
        "def both_positive(a, b):\n"
        '    """True when a and b are both above zero."""\n'
        "    return a < 0 and b < 0\n"
    ),
    # (2, 3) fails whatever one comparison says; (-1, 5) and (0, 0) pass before and after
    "tests/test_signs.py": (
        "from pkg.signs import both_positive\n\n\n"
        "def test_two_positives():\n    assert both_positive(2, 3) is True\n\n\n"
        "def test_a_negative():\n    assert both_positive(-1, 5) is False\n\n\n"
        "def test_zeros():\n    assert both_positive(0, 0) is False\n"
    ),
}
ARGS = ["--sandbox", "local", "--workers", "2", "--time-limit", "240", "--max-evals", "40"]


@pytest.fixture
def signs_repo(tmp_path: Path) -> Path:
    return init_repo(write_tree(tmp_path / "signs", BOTH_SIGNS))


def test_a_non_separable_two_edit_bug_is_repaired_and_alternatives_are_ranked(signs_repo: Path):
    result = CliRunner().invoke(
        app, ["repair", str(signs_repo), "--json", *ARGS, "--fixes", "3", "--extra-evals", "12"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "fixed"
    fix = report["fix"]
    assert "+    return a > 0 and b > 0\n" in fix["patch"]
    assert len(fix["edits"]) == 2  # two edits, each alone changing nothing
    assert report["search"]["evals_to_first_fix"] <= 40
    assert "deletes no check" in fix["rank_reasons"]
    # the hunt for alternatives stays within its extra budget (+1: a last validation)
    assert report["search"]["extra_evaluations"] <= 12 + 2
    assert report["search"]["fixes"] == 1 + len(report["alternatives"]) >= 2
    for alt in report["alternatives"]:
        assert alt["patch"] != fix["patch"] and alt["reasons"]
    shown = CliRunner().invoke(app, ["show", "latest", "-C", str(signs_repo)])
    assert shown.exit_code == 0, shown.output
    assert "ranked: " in shown.stdout
    assert "other validated fixes" in shown.stdout  # e.g. `b >= 0`: passes, overfits


def test_the_panel_lists_the_alternatives_with_their_rank_reasons():
    from rich.console import Console

    from treefix.cli.render import final_panel

    patch = "--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-x = a < 0\n+x = a > 0\n"
    alt = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1 @@\n-if x is None:\n-x = a < 0\n+x = 1\n"
    report = {
        "status": "fixed",
        "message": "validated fix found",
        "run_dir": "/r",
        "search": {"evaluations": 9, "elapsed": 1.0, "evals_to_first_fix": 5},
        "fix": {
            "patch": patch,
            "edits": [{"path": "m.py", "line": 1, "operator": "binop", "description": "< to >"}],
            "rank_reasons": ["2 changed lines", "1 edit", "deletes no check"],
        },
        "alternatives": [
            {"rank": 2, "patch": alt, "reasons": ["deletes 1 check(s)", "3 changed lines"]}
        ],
    }
    console = Console(record=True, width=120)
    console.print(final_panel(report))
    text = console.export_text()
    assert "ranked: 2 changed lines, 1 edit, deletes no check" in text
    assert "other validated fixes (1), ranked:" in text
    assert "#2 deletes 1 check(s); 3 changed lines" in text
    assert "-if x is None:" in text and "+x = 1" in text


@pytest.mark.parametrize("flag", [["--fixes", "0"], ["--extra-evals", "-1"]])
def test_out_of_range_search_settings_are_usage_errors(tmp_path: Path, flag: list[str]):
    result = CliRunner().invoke(app, ["repair", str(tmp_path), *flag])
    assert result.exit_code == 2
    assert flag[0] in result.output
