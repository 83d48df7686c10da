"""`treefix repair` against a real model served by llama.cpp on 127.0.0.1, through the real
`openai` SDK: what a user would notice. SmolLM2-135M rarely proposes a usable patch, so these
tests assert on behaviour (accounting, rejections, budgets, trimming, failures), never on its
fix rate. The server and a recording proxy are started once for the module
(tests/models/llama_server.py); the proxy gives the server's own figures to compare with.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.test_cli_model_repair import FIX, GREET
from tests.conftest import BUGGY, tree_digest, write_tree
from tests.models.llama_server import ALIAS, N_CTX, free_port, serve_llama
from treefix.cli.app import app

llama = pytest.fixture(serve_llama, name="llama", scope="module")

# generous time: a 2-core machine under load can take tens of seconds for one answer
FAST = ["--sandbox", "local", "--workers", "1", "--time-limit", "300", "--samples", "1"]
FAST += ["--llm-timeout", "240", "--fixes", "1"]  # these count the calls of a one-fix run

# A bug at the end of a long function (a TypeError: the traceback points at it): the untrimmed
# prompt is far beyond the server's 2048 tokens.
LONG = {
    "big/__init__.py": "",
    "big/calc.py": (
        "def compute(x):\n"
        + "".join(f"    v{i} = x + {i}  # step {i} of the long computation\n" for i in range(110))
        + '    return "Hello " + x\n'
    ),
    "tests/test_calc.py": (
        "from big.calc import compute\n\n\n"
        'def test_compute():\n    assert compute(1) == "Hello 1"\n'
    ),
}


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch):
    for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.delenv("TREEFIX_PRICES", raising=False)


@pytest.fixture
def server(llama):
    llama.reset()
    yield llama
    llama.reset()


def _run(path: Path, base_url: str, *extra: str):
    args = ["repair", str(path), "--json", *FAST, "--provider", "openai", "--base-url", base_url]
    args += ["--model", ALIAS, "--temperature", "0", *extra]
    result = CliRunner().invoke(app, args)
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result, report


def _trajectory(path: Path) -> list[dict]:
    run = next((path / ".treefix/runs").iterdir())
    return [json.loads(x) for x in (run / "trajectory.jsonl").read_text().splitlines()]


def test_figures_in_the_report_are_the_servers(server, tmp_path):
    proj = write_tree(tmp_path / "greet", GREET)
    before = tree_digest(proj)
    result, report = _run(
        proj, server.url, "--proposer", "model", "--max-llm-calls", "2", "--llm-max-tokens", "96"
    )
    assert result.exit_code in (0, 1), result.output  # the run completes, fixed or not
    m = report["model"]
    answered = server.answered()
    # calls and tokens: exactly what the server answered and counted
    assert m["calls"] == len(server.exchanges) == len(answered) == 2
    assert m["input_tokens"] == sum(e.answer["usage"]["prompt_tokens"] for e in answered)
    assert m["output_tokens"] == sum(e.answer["usage"]["completion_tokens"] for e in answered)
    assert m["cost_usd"] is None  # no price known for a local model name: cost unknown
    assert report["search"]["stop_reason"] == "model call budget (2 calls)"
    # per call, in order: the trajectory's usage and timing are the server's
    calls = [t for t in _trajectory(proj) if t.get("type") == "model_call"]
    assert len(calls) == 2
    for rec, ex in zip(calls, answered, strict=True):
        assert rec["usage"]["input_tokens"] == ex.answer["usage"]["prompt_tokens"]
        assert rec["usage"]["output_tokens"] == ex.answer["usage"]["completion_tokens"]
        assert rec["response"] == ex.answer["choices"][0]["message"]["content"]
        assert rec["finish_reason"] == ex.answer["choices"][0]["finish_reason"]
        # treefix's latency covers the server's time plus the proxy hop
        assert ex.seconds * 0.95 <= rec["latency_s"] <= ex.seconds + 1.0
        assert ex.body["max_tokens"] <= 96 and ex.body["model"] == ALIAS
    assert m["seconds"] == pytest.approx(sum(c["latency_s"] for c in calls), abs=0.01)
    assert m["output_tokens_per_s"] == pytest.approx(m["output_tokens"] / m["seconds"], rel=0.02)
    # what the model answered was either a candidate or a rejection with its reason
    assert m["responses"] == 2
    assert m["model_candidates"] + m["rejected_responses"] == 2
    assert len(m["rejection_reasons"]) == m["rejected_responses"]
    assert all(r.strip() for r in m["rejection_reasons"])
    if any(c["finish_reason"] == "length" for c in calls) and m["rejected_responses"]:
        assert any("cut at the output token limit" in r for r in m["rejection_reasons"])
    assert tree_digest(proj) == before  # nothing written into the project


def test_the_call_budget_stops_it(server, tmp_path):
    proj = write_tree(tmp_path / "greet", GREET)
    result, report = _run(
        proj, server.url, "--proposer", "model", "--max-llm-calls", "1", "--llm-max-tokens", "48"
    )
    assert result.exit_code == 1, result.output
    assert report["status"] == "no_fix"
    assert report["search"]["stop_reason"] == "model call budget (1 calls)"
    assert len(server.exchanges) == 1 and report["model"]["calls"] == 1


def test_the_cost_budget_stops_it_with_a_price_for_the_local_model(server, tmp_path, monkeypatch):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({ALIAS: {"input": 1000.0, "output": 1000.0}}))  # USD / M tokens
    monkeypatch.setenv("TREEFIX_PRICES", str(prices))
    proj = write_tree(tmp_path / "greet", GREET)
    result, report = _run(
        proj,
        server.url,
        "--proposer",
        "model",
        "--max-cost-usd",
        "0.1",  # one call of a few hundred tokens costs more than this
        "--llm-max-tokens",
        "48",
    )
    assert result.exit_code == 1, result.output
    assert report["search"]["stop_reason"] == "model cost budget ($0.10)"
    (ex,) = server.answered()
    u = ex.answer["usage"]
    expected = (u["prompt_tokens"] + u["completion_tokens"]) * 1000.0 / 1e6
    assert report["model"]["cost_usd"] == pytest.approx(expected, abs=1e-6)


def test_a_passing_model_proposal_is_validated_like_any_candidate(server, tmp_path):
    """Fault injection, named: the proxy replaces the text of the server's real answer with the
    right patch (the usage stays the server's), standing in for a model that got it right."""
    proj = write_tree(tmp_path / "greet", GREET)
    server.replace_text = [FIX]
    result, report = _run(
        proj, server.url, "--proposer", "model", "--max-llm-calls", "3", "--llm-max-tokens", "32"
    )
    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed"
    assert [e["operator"] for e in report["fix"]["edits"]] == ["model"]
    nodes = [t for t in _trajectory(proj) if t.get("edit")]
    fixed = [n for n in nodes if n["edit"]["operator"] == "model" and n["validated"]]
    assert fixed, nodes  # ran in the sandbox, then validated on the full suite
    assert report["search"]["validations"] >= 1
    assert report["model"]["input_tokens"] == server.answered()[0].answer["usage"]["prompt_tokens"]


def test_auto_runs_the_real_model_beside_mutation(server, tmp_path):
    proj = write_tree(tmp_path / "shop", BUGGY)  # a bug the mutation operators can fix
    result, report = _run(
        proj,
        server.url,
        "--proposer",
        "auto",
        "--max-llm-calls",
        "2",
        "--llm-max-tokens",
        "48",
        "--max-evals",
        "150",
    )
    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed" and report["model"]["mode"] == "model+mutation"
    assert report["model"]["calls"] == len(server.exchanges) >= 1
    ops = {e["operator"] for e in report["fix"]["edits"]}
    assert ops and all(op for op in ops)  # who proposed each edit of the accepted fix is named


def test_a_prompt_over_the_window_is_trimmed_and_said_so(server, tmp_path):
    proj = write_tree(tmp_path / "big", LONG)
    result, report = _run(
        proj, server.url, "--proposer", "model", "--max-llm-calls", "2", "--llm-max-tokens", "48"
    )
    assert result.exit_code == 1, result.output  # no crash
    m = report["model"]
    first, second = server.exchanges
    assert first.status == 400 and first.answer["error"]["code"] == "context_length_exceeded"
    assert second.status == 200
    assert m["context_overflows"] == 1 and m["context_window"] == N_CTX
    assert m["context_trimmed"] == 1 and m["calls"] == 2
    assert "prompt trimmed to the" in result.output
    # the trimmed prompt kept the buggy line (the most suspicious one)
    sent = "\n".join(msg["content"] for msg in second.body["messages"])
    assert 'return "Hello " + x' in sent
    assert len(sent) < len("\n".join(msg["content"] for msg in first.body["messages"]))


def test_an_empty_choice_list_is_retried_and_counted(server, tmp_path):
    """Fault injection, named: the proxy drops the choices of the server's first real answer."""
    proj = write_tree(tmp_path / "greet", GREET)
    server.strip_choices = 1
    result, report = _run(
        proj, server.url, "--proposer", "model", "--max-llm-calls", "1", "--llm-max-tokens", "32"
    )
    assert result.exit_code == 1, result.output
    m = report["model"]
    assert m["retries"] == 1 and m["requests"] == 2 and m["calls"] == 1
    assert len(server.exchanges) == 2


def test_a_server_that_is_down_is_exit_4_in_one_line(tmp_path):
    proj = write_tree(tmp_path / "greet", GREET)
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    result, report = _run(proj, url, "--proposer", "model")  # 5 attempts, about 15 s of backoff
    assert result.exit_code == 4, result.output
    assert report["status"] == "provider_error"
    assert "connection failed" in report["message"] and "still failing" in report["message"]
    assert "Traceback" not in result.output


def test_a_slow_server_times_out_into_exit_4(server, tmp_path):
    proj = write_tree(tmp_path / "greet", GREET)
    result, report = _run(
        proj,
        server.url,
        "--proposer",
        "model",
        "--llm-timeout",
        "1",
        "--llm-max-tokens",
        "400",
        "--time-limit",
        "40",
    )
    assert result.exit_code == 4, result.output
    assert "timed out" in report["message"] and "still failing" in report["message"]
    assert report["model"]["requests"] >= 2 and report["model"]["retries"] >= 1
    server.idle()  # llama.cpp finishes the abandoned generations before the next test
