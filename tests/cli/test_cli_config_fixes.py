"""`treefix config` shows what an unset --fixes resolves to, and why, as for other settings."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from treefix.cli.app import app

NO_KEYS = {"ANTHROPIC_API_KEY": "", "OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}


def _fixes_row(tmp_path: Path, **env: str) -> str:
    result = CliRunner().invoke(app, ["config", str(tmp_path)], env={**NO_KEYS, **env})
    assert result.exit_code == 0, result.output
    return next(ln for ln in result.output.splitlines() if ln.startswith("fixes "))


def test_an_unset_fixes_shows_the_default_it_resolves_to_and_why(tmp_path: Path):
    assert re.match(r"fixes\s+1\s+default offline \(no model configured\)", _fixes_row(tmp_path))
    row = _fixes_row(tmp_path, ANTHROPIC_API_KEY="sk-test")
    assert re.match(r"fixes\s+3\s+default with a model \(anthropic\)", row)
    row = _fixes_row(tmp_path, ANTHROPIC_API_KEY="sk-test", TREEFIX_PROPOSER="mutation")
    assert re.match(r"fixes\s+1\s+default offline \(--proposer mutation\)", row)


def test_a_set_fixes_shows_its_value_and_source(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.treefix]\nfixes = 2\n")
    row = _fixes_row(tmp_path, ANTHROPIC_API_KEY="sk-test")
    assert re.match(rf"fixes\s+2\s+{re.escape(str(tmp_path)[:20])}", row)  # the file (cut to width)
    assert "default" not in row
    out = CliRunner().invoke(app, ["config", str(tmp_path), "--json"], env=NO_KEYS).stdout
    assert json.loads(out)["settings"]["fixes"] == {
        "value": 2,
        "source": f"{tmp_path / 'pyproject.toml'} [tool.treefix]",
    }


def test_the_json_report_keeps_the_unset_value_and_adds_what_it_resolves_to(tmp_path: Path):
    out = CliRunner().invoke(app, ["config", str(tmp_path), "--json"], env=NO_KEYS).stdout
    assert json.loads(out)["settings"]["fixes"] == {
        "value": None,
        "source": "default",
        "resolves_to": 1,
        "because": "default offline (no model configured)",
    }
