"""`--locate`: the model's hierarchical localisation brings code the failing test never executes
(a wrong default in a configuration module, read at import time) into the repair prompt. The
stand-in model fixes the bug only when its prompt shows the faulty line, and calls no tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import write_tree
from tests.models.llm_server import prompt_text, serve
from treefix.cli.app import app

llm_server = pytest.fixture(serve, name="llm_server")

SHOP = {
    "shop/__init__.py": "",
    "shop/config.py": '"""Settings."""\nDEFAULT_RATE = 0.02\n',
    "shop/cart.py": (
        "from shop.config import DEFAULT_RATE\n\n\n"
        "def total(price, rate=DEFAULT_RATE):\n    return price * (1 + rate)\n"
    ),
    "tests/test_cart.py": (
        "from shop.cart import total\n\n\ndef test_total():\n    assert total(100) == 120\n\n\n"
        "def test_explicit_rate():\n    assert total(100, 0.5) == 150\n"
    ),
}
FIX = (
    "EXPLANATION: The default VAT rate is 20%.\n\n"
    "<<<<<<< SEARCH shop/config.py\nDEFAULT_RATE = 0.02\n=======\nDEFAULT_RATE = 0.2\n"
    ">>>>>>> REPLACE\n"
)


def _oracle(body: dict) -> str:
    text = prompt_text(body)
    if "Which files" in text:
        return "FILE: shop/config.py\nFILE: shop/cart.py"
    if "Which functions" in text:
        return "LOCATION: shop/config.py:2"
    if "Which lines" in text:
        return "EDIT: shop/config.py:2"
    return FIX if "DEFAULT_RATE = 0.02" in text else "No idea."


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch):
    for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(k, raising=False)


@pytest.mark.parametrize("locate,code", [("on", 0), ("off", 1)])
def test_model_localisation_finds_a_wrong_default_the_tests_never_execute(
    locate, code, tmp_path: Path, llm_server, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    root = write_tree(tmp_path / "shop", SHOP)
    llm_server.default = _oracle
    args = ["repair", str(root), "--json", "--sandbox", "local", "--workers", "1"]
    args += ["--time-limit", "120", "--samples", "1", "--proposer", "model", "--max-llm-calls", "8"]
    args += ["--provider", "anthropic", "--base-url", llm_server.url, "--locate", locate]
    result = CliRunner().invoke(app, args)
    report = json.loads(result.stdout)
    assert result.exit_code == code, result.output
    purposes = report["model"]["by_purpose"]
    if locate == "on":
        assert "+DEFAULT_RATE = 0.2" in report["fix"]["patch"]
        assert purposes["localize"] == 3
        assert any(s["path"] == "shop/config.py" for s in report["localization"])
        lines = (Path(report["run_dir"]) / "trajectory.jsonl").read_text().splitlines()
        loc = [json.loads(x) for x in lines if '"localization"' in x]
        assert loc and loc[0]["lines"] == ["shop/config.py:2"]
    else:
        assert report["fix"] is None and "localize" not in purposes


def test_a_bad_locate_choice_is_a_usage_error(tmp_path: Path):
    root = write_tree(tmp_path / "shop", SHOP)
    result = CliRunner().invoke(app, ["repair", str(root), "--locate", "sometimes"])
    assert result.exit_code == 2 and "--locate 'sometimes'" in result.output
