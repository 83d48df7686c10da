"""`treefix test`, `treefix doctor`, `--help`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from treefix.cli.app import app


def test_test_command_classifies_the_baseline(buggy_project: Path):
    result = CliRunner().invoke(app, ["test", str(buggy_project), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["status"] == "failed" and report["exit_code"] == 1
    assert [f["id"] for f in report["failing"]] == ["tests/test_cart.py::test_three_get_discount"]
    assert report["passed"] == 3
    assert "AssertionError" in report["failing"][0]["message"]


def test_test_command_reports_no_tests_as_not_passing(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_nothing.py").write_text("x = 1\n")
    result = CliRunner().invoke(app, ["test", str(tmp_path), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "no_tests"


def test_doctor_says_which_isolation_is_in_force_and_never_prints_keys(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-value")
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["sandbox local"]["ok"] is True
    assert "namespaces" in data["sandbox local"]["detail"].lower()
    assert "ANTHROPIC_API_KEY" in data["model keys"]["detail"]
    assert "sk-ant-secret-value" not in result.output
    assert data["tree-sitter-python"]["ok"] is True


def test_help_does_not_import_heavy_modules():
    code = "import sys; from treefix.cli.app import app; print(sorted(m for m in ('docker','anthropic','openai','git','tree_sitter','coverage','ray') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _option_rows(command: str) -> dict[str, str]:
    """`treefix COMMAND --help`'s option rows by flag, white space folded."""
    text = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
    rows = [" ".join(line.strip("│ ").split()) for line in text.splitlines() if "│ --" in line]
    return {row.split()[0]: row for row in rows}


def test_commands_that_share_an_option_show_it_alike():
    repair, check, test, batch = (_option_rows(c) for c in ("repair", "check", "test", "batch"))
    for flag in ("--test-cmd", "--sandbox", "--format", "--output"):
        assert repair[flag] == check[flag], flag
    for flag in ("--test-cmd", "--sandbox", "--test-timeout", "--per-test-timeout"):
        assert repair[flag] == test[flag], flag
    assert "Seconds for one run of the tests." in test["--test-timeout"]
    assert repair["--proposer"] == batch["--proposer"] and repair["--seed"] == batch["--seed"]
    # check keeps its own budget (a pre-commit hook runs small)
    assert "[default: 60]" in check["--max-evals"] and "[default: 500]" in repair["--max-evals"]


def test_version_flag_and_command_agree():
    from treefix import __version__

    for args in (["--version"], ["version"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0
        assert result.stdout.strip() == __version__


def test_bracketed_test_ids_and_paths_are_printed_verbatim(tmp_path: Path):
    # rich markup would eat "[abc]" (a parametrized id) and "[docker]" (an extra in a hint)
    root = tmp_path / "proj [x]"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_p.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('v', ['abc'])\ndef test_p(v):\n    assert v == '[bold]'\n"
    )
    result = CliRunner().invoke(app, ["repair", str(root), "--sandbox", "local", "--max-evals", "3"])
    assert "tests/test_p.py::test_p[abc]" in result.output
    assert "proj [x]" in result.output
    assert "'[bold]'" in result.output


def test_sandbox_limits_come_from_the_project_settings(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_m.py").write_text(
        "def test_big():\n    x = bytearray(400 << 20)\n    assert len(x) == 1\n"
    )
    (tmp_path / "pyproject.toml").write_text("[tool.treefix]\nsandbox-memory-mb = 128\n")
    result = CliRunner().invoke(
        app, ["repair", str(tmp_path), "--sandbox", "local", "--max-evals", "2"]
    )
    assert "memory<=128 MiB" in result.output
    assert "OutOfMemory: killed by the memory limit" in result.output
    # nothing to localise in a run the limit killed: an environment problem naming the setting
    assert result.exit_code == 3 and "raise sandbox-memory-mb" in result.output
    bad = CliRunner().invoke(app, ["config", str(tmp_path)], env={"TREEFIX_SANDBOX_PIDS": "2"})
    assert bad.exit_code == 2 and "sandbox_pids must be at least 16" in bad.output.replace("-", "_")


def test_every_sandbox_setting_reaches_both_backends_limits():
    from treefix.pipeline.options import SandboxOptions
    from treefix.sandbox.backends import backend

    local_limits, docker_limits = backend("local").limits, backend("docker").limits

    opts = SandboxOptions(
        sandbox_memory_mb=512, sandbox_pids=64, sandbox_file_mb=8, sandbox_output_kb=32,
        sandbox_tmp_mb=16, sandbox_cpus=0.5,
    )  # fmt: skip
    local, docker = local_limits(opts), docker_limits(opts)
    assert (local.memory_bytes, local.pids, local.file_bytes) == (512 << 20, 64, 8 << 20)
    assert (local.output_bytes, local.tmp_bytes) == (32 << 10, 16 << 20)
    assert (docker.memory, docker.pids, docker.file_bytes) == ("512m", 64, 8 << 20)
    assert (docker.output_bytes, docker.tmp_size, docker.cpus) == (32 << 10, "16m", 0.5)
    assert local_limits(SandboxOptions()) == type(local)()  # unset: the backend's defaults
