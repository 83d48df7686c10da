"""A whole `treefix repair` run where the model reads code outside the localised set with the
retrieval tools before it fixes it; the calls are in the report and the trajectory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.test_cli_locate import FIX, SHOP
from tests.conftest import write_tree
from tests.models.llm_server import Step, prompt_text, serve
from treefix.cli.app import app

llm_server = pytest.fixture(serve, name="llm_server")


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch):
    for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(k, raising=False)


def _reader(body: dict) -> Step | str:
    """Fixes once the prompt holds the faulty line; until then reads (one refused call first)."""
    text = prompt_text(body)
    if "DEFAULT_RATE = 0.02" in text:
        return FIX
    if "outside the project" in text:
        return Step(tools=[("read_file", {"path": "shop/config.py"})])
    return Step(tools=[("read_file", {"path": "../../etc/passwd"})])


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_the_model_reads_the_config_module_through_tools_then_fixes(
    provider, tmp_path: Path, llm_server, monkeypatch
):
    monkeypatch.setenv(f"{provider.upper()}_API_KEY", llm_server.key)
    root = write_tree(tmp_path / "shop", SHOP)
    llm_server.default = _reader
    base = llm_server.url + ("/v1" if provider == "openai" else "")
    args = [
        "repair",
        str(root),
        "--json",
        "--sandbox",
        "local",
        "--workers",
        "1",
        "--locate",
        "off",
    ]
    args += ["--time-limit", "120", "--samples", "1", "--proposer", "model", "--max-llm-calls", "8"]
    args += ["--provider", provider, "--base-url", base, "--fixes", "1"]  # counts one fix's calls
    result = CliRunner().invoke(app, args)
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert "+DEFAULT_RATE = 0.2" in report["fix"]["patch"]
    m = report["model"]
    assert m["tool_calls"] == 2 and m["tool_calls_refused"] == 1 and m["calls"] == 3
    lines = (Path(report["run_dir"]) / "trajectory.jsonl").read_text().splitlines()
    tools = [json.loads(x) for x in lines if '"tool_call"' in x]
    assert [(t["tool"], t["arguments"]["path"], "refused" in t) for t in tools] == [
        ("read_file", "../../etc/passwd", True),
        ("read_file", "shop/config.py", False),
    ]
    assert "root:" not in "\n".join(lines)  # nothing outside the project was read
