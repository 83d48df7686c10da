"""Settings layers: pyproject.toml [tool.treefix], treefix.toml, TREEFIX_* variables, flags."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import write_tree
from treefix.cli.app import app
from treefix.config import resolve
from treefix.errors import UsageError


def test_layers_later_wins_and_sources_are_named(tmp_path):
    root = write_tree(tmp_path / "p", {
        "pyproject.toml": "[project]\nname='x'\n[tool.treefix]\nmax-evals = 40\nseed = 2\nsandbox = 'local'\n",
        "treefix.toml": "seed = 3\ntest_timeout = 30\n",
    })
    s = resolve(root, {"max_depth": 2}, environ={"TREEFIX_SEED": "9", "HOME": "/x"})
    assert s.values["max_evals"] == 40 and "pyproject.toml" in s.sources["max_evals"]
    assert s.values["test_timeout"] == 30.0 and s.sources["test_timeout"].endswith("treefix.toml")
    assert s.values["seed"] == 9 and s.sources["seed"] == "env TREEFIX_SEED"
    assert s.values["max_depth"] == 2 and s.sources["max_depth"] == "command line"
    assert s.values["time_limit"] == 300.0 and s.sources["time_limit"] == "default"
    opts = s.options(str(root))
    assert (opts.search.max_evals, opts.search.seed, opts.sandbox.sandbox) == (40, 9, "local")


def test_check_gets_a_small_budget_unless_a_check_table_says_otherwise(tmp_path):
    root = write_tree(tmp_path / "p", {"treefix.toml": "max-evals = 400\n[check]\ntime-limit = 20\n"})
    s = resolve(root, command="check", environ={})
    assert s.values["max_evals"] == 60 and s.values["time_limit"] == 20.0
    assert s.values["proposer"] == "mutation"
    assert resolve(root, environ={}).values["max_evals"] == 400


@pytest.mark.parametrize(
    ("files", "env", "words"),
    [
        ({"treefix.toml": "max_evalz = 3\n"}, {}, "treefix.toml: unknown setting 'max_evalz'"),
        ({"pyproject.toml": "[tool.treefix]\nmax-evals = 'many'\n"}, {}, "pyproject.toml [tool.treefix]: max-evals must be an integer"),
        ({"treefix.toml": "sandbox = 'vm'\n"}, {}, "sandbox must be one of auto, local, docker"),
        ({"treefix.toml": "executor = 'slurm'\n"}, {}, "treefix.toml: executor must be one of local, ray"),
        ({"treefix.toml": "max-depth = 9\n"}, {}, "max-depth must be at most 6"),
        ({"treefix.toml": "seed = \n"}, {}, "not valid TOML"),
        ({}, {"TREEFIX_TIME_LIMIT": "soon"}, "environment variable TREEFIX_TIME_LIMIT: time_limit must be a number"),
    ],
)
def test_bad_settings_are_one_line_errors_naming_key_and_file(tmp_path, files, env, words):
    root = write_tree(tmp_path / "p", {"conftest.py": "", **files})
    with pytest.raises(UsageError, match=words.replace("[", r"\[").replace("]", r"\]")):
        resolve(root, environ=env)
    result = CliRunner().invoke(app, ["repair", str(root), "--sandbox", "local"], env=env)
    assert result.exit_code == 2 and words.split(":")[-1].strip()[:20] in result.output
    assert len(result.output.strip().splitlines()) == 1 or "Traceback" not in result.output


def test_config_command_prints_values_and_where_they_came_from(tmp_path):
    root = write_tree(tmp_path / "p", {"treefix.toml": "max-evals = 12\n"})
    result = CliRunner().invoke(app, ["config", str(root), "--json"], env={"TREEFIX_WORKERS": "1", "TREEFIX_NOT_A_KEY": "x"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["settings"]["max_evals"] == {"value": 12, "source": str(root / "treefix.toml")}
    assert data["settings"]["workers"]["source"] == "env TREEFIX_WORKERS"
    assert any("TREEFIX_NOT_A_KEY" in w for w in data["warnings"])
    text = CliRunner().invoke(app, ["config", str(root)]).stdout
    assert "max-evals" in text and "treefix.toml" in text


def test_flags_beat_config_in_a_real_run(buggy_project):
    (buggy_project / "treefix.toml").write_text("max-evals = 1\nsandbox = 'local'\nworkers = 2\n")
    result = CliRunner().invoke(app, ["repair", str(buggy_project), "--json", "--max-evals", "150"])
    report = json.loads(result.stdout)
    assert report["options"]["max_evals"] == 150 and report["status"] == "fixed"
    assert report["sandbox"]["workers"] == 2 and report["sandbox"]["executor"] == "local"
    assert report["sandbox"]["nodes"] == []  # threads on this machine: no Ray nodes
    shown = CliRunner().invoke(app, ["show", "latest", "-C", str(buggy_project), "--format", "patch"])
    assert shown.exit_code == 0 and shown.stdout == report["fix"]["patch"]
    shown = CliRunner().invoke(app, ["show", report["run_id"][:15], "-C", str(buggy_project)])
    assert shown.exit_code == 0 and "validated fix found" in shown.stdout


def test_paths_in_a_config_file_are_relative_to_that_file(tmp_path, monkeypatch):
    (tmp_path / "proj" / "sub").mkdir(parents=True)
    (tmp_path / "proj" / "treefix.toml").write_text('model-path = "models/m.gguf"\ncache = "~/c"\n')
    monkeypatch.chdir(tmp_path)  # started from elsewhere
    settings = resolve(tmp_path / "proj" / "sub", environ={"HOME": "/home/u"})
    assert settings.values["model_path"] == str((tmp_path / "proj" / "models" / "m.gguf").resolve())
    assert settings.values["cache"].endswith("/c") and "~" not in settings.values["cache"]
