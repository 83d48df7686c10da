"""`--provider llamacpp --model-path FILE.gguf`: the real SmolLM2-135M GGUF run inside treefix by
llama.cpp (no server), and the bad inputs around it. Also the parts of the model path that small
local models stress: answers cut at the token limit are never half-applied, "prompt too long"
errors of the servers people run are recognised.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.test_cli_model_repair import FIX, GREET
from tests.conftest import write_tree
from tests.models.llama_server import require_llama, require_model
from tests.models.test_llamacpp_server import LONG
from treefix.cli.app import app
from treefix.models import Gateway, Message, Request
from treefix.models.base import context_overflow
from treefix.propose.llm import LLMProposer
from treefix.types import ProgramState

FAST = ["--sandbox", "local", "--workers", "1", "--time-limit", "300", "--samples", "1"]
FAST += ["--llm-timeout", "240"]


@pytest.fixture(scope="module")
def gguf() -> Path:
    require_llama()
    return require_model()


@pytest.fixture(scope="module")
def model(gguf):
    from treefix.models.llamacpp import LlamaCppModel

    return LlamaCppModel(gguf, context=1024)


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch):
    for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(k, raising=False)


def _run(path: Path, *extra: str):
    result = CliRunner().invoke(app, ["repair", str(path), "--json", *FAST, *extra])
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result, report


# -- the provider itself --------------------------------------------------------------------


def test_usage_and_zero_cost_come_from_llama_cpp(model):
    gateway = Gateway(model, max_calls=5)
    request = Request(
        system="You fix Python bugs.",
        messages=(Message("user", "def add(a, b):\n    return a - b\n\nFix it."),),
        temperature=0.0,
        max_tokens=40,
    )
    reply = gateway.complete(request)
    assert reply.model == "SmolLM2-135M-Instruct.Q4_1"
    assert reply.cost == 0.0 and gateway.stats.cost_known  # a local model: free, not unknown
    u = reply.usage
    # the prompt's tokens as llama.cpp counted them: at least the raw texts, plus the template
    raw = model.count_tokens(request.system) + model.count_tokens(request.messages[0].content)
    assert raw < u.input_tokens < raw + 40
    assert 0 < u.output_tokens <= 40
    assert abs(model.count_tokens(reply.text) - u.output_tokens) <= 2
    assert reply.finish_reason in ("stop", "length") and reply.latency > 0
    s = gateway.stats.as_dict()
    assert s["calls"] == 1 and s["output_tokens"] == u.output_tokens and s["seconds"] > 0
    assert model.context_window == 1024


def test_the_timeout_cuts_generation_in_process(model):
    request = Request(
        system="You write long stories.",
        messages=(Message("user", "Tell a very long story about a lighthouse."),),
        temperature=0.7,
        max_tokens=900,
    )
    reply = model.complete(request, timeout=0.5)
    assert reply.finish_reason == "timeout" and reply.truncated
    assert reply.usage.output_tokens < 900


def test_repair_in_process_counts_prose_answers_as_rejections(gguf, tmp_path):
    proj = write_tree(tmp_path / "greet", GREET)
    result, report = _run(
        proj,
        "--proposer",
        "model",
        "--provider",
        "llamacpp",
        "--model-path",
        str(gguf),
        "--llm-context",
        "2048",
        "--max-llm-calls",
        "2",
        "--llm-max-tokens",
        "48",
        "--temperature",
        "0",
    )
    assert result.exit_code in (0, 1), result.output
    m = report["model"]
    assert m["name"] == "llamacpp:SmolLM2-135M-Instruct.Q4_1"
    assert m["calls"] == 2 and m["cost_usd"] == 0.0
    assert m["input_tokens"] > 0 and m["output_tokens"] > 0 and m["output_tokens_per_s"] > 0
    assert m["context_window"] == 2048
    assert report["search"]["stop_reason"] == "model call budget (2 calls)"
    assert m["model_candidates"] + m["rejected_responses"] == m["responses"] == 2
    run = next((proj / ".treefix/runs").iterdir())
    calls = [
        json.loads(x)
        for x in (run / "trajectory.jsonl").read_text().splitlines()
        if '"model_call"' in x
    ]
    assert sum(c["usage"]["output_tokens"] for c in calls) == m["output_tokens"]
    assert all(c["cost_usd"] == 0.0 and c["latency_s"] > 0 for c in calls)


def test_a_small_window_is_trimmed_before_asking(gguf, tmp_path):
    proj = write_tree(tmp_path / "big", LONG)
    result, report = _run(
        proj,
        "--proposer",
        "model",
        "--model-path",  # the provider follows from the model file
        str(gguf),
        "--llm-context",
        "1024",
        "--max-llm-calls",
        "1",
        "--llm-max-tokens",
        "32",
    )
    assert result.exit_code == 1, result.output
    m = report["model"]
    assert m["context_window"] == 1024 and m["context_trimmed"] == 1
    assert m["context_overflows"] == 0  # counted exactly: never sent too long
    assert m["calls"] == 1
    assert "model context window 1024 tokens: prompt trimmed" in result.output


def test_a_window_too_small_for_any_prompt_is_a_counted_rejection(gguf, tmp_path):
    proj = write_tree(tmp_path / "big", LONG)
    result, report = _run(
        proj, "--proposer", "model", "--model-path", str(gguf), "--llm-context", "256"
    )
    assert result.exit_code == 1, result.output  # no crash, nothing sent
    m = report["model"]
    assert m["calls"] == 0 and m["rejected_responses"] >= 1
    assert m["rejection_reasons"][0] == (
        "the prompt does not fit the model's 256-token context window even trimmed to the most "
        "suspicious line"
    )


# -- bad input: one line, documented exit code ----------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"# not a model\n", "not a GGUF model file"),
        (b"GGUF" + b"\x00" * 64, "llama.cpp could not load it"),
    ],
)
def test_a_bad_model_file_is_a_one_line_usage_error(tmp_path, content, expected):
    if content is not None and content.startswith(b"GGUF"):
        require_llama()  # the file passes the magic check: llama.cpp itself refuses it
    proj = write_tree(tmp_path / "greet", GREET)
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    result, _ = _run(proj, "--provider", "llamacpp", "--model-path", str(path))
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip() and not ln.startswith("{")]
    errors = [ln for ln in lines if "error" in ln]
    assert len(errors) == 1 and expected in errors[0], result.output
    assert "Traceback" not in result.output


def test_llamacpp_without_a_model_file_is_a_usage_error(tmp_path):
    proj = write_tree(tmp_path / "greet", GREET)
    result, _ = _run(proj, "--provider", "llamacpp")
    assert result.exit_code == 2 and "--model-path" in result.output


def test_doctor_says_whether_the_in_process_provider_is_available(monkeypatch):
    monkeypatch.setenv("TREEFIX_MODEL_PATH", "/nonexistent/model.gguf")
    result = CliRunner().invoke(app, ["doctor", "--json"])
    row = json.loads(result.stdout)["llama.cpp in-process"]
    assert (
        row["ok"] is False
        and "TREEFIX_MODEL_PATH /nonexistent/model.gguf: no such file" in row["detail"]
    )


# -- parsing what small models answer (pure functions, no model needed) ---------------------


def _proposer() -> LLMProposer:
    from treefix.models import ScriptedModel

    return LLMProposer(Gateway(ScriptedModel(["unused"])))


STATE = ProgramState({"greet/core.py": GREET["greet/core.py"].encode()})


def test_an_answer_cut_inside_a_block_is_never_half_applied():
    second = (
        "<<<<<<< SEARCH greet/core.py\n"
        "    return greeting(name).upper()\n"
        "=======\n"
        "    return greeting(name).up"  # cut here by the token limit
    )
    prop = _proposer()
    cand, _ = prop.parse(STATE, FIX + "\n" + second, cut=True)
    assert cand is None  # the complete first block is not applied on its own
    assert prop.stats.rejected == 1
    assert prop.stats.reasons[-1] == (
        "1 of 2 SEARCH/REPLACE blocks not closed (the answer was cut at the output token "
        "limit); nothing applied"
    )
    cand, _ = prop.parse(STATE, FIX)  # the same first block, complete answer: applied
    assert cand is not None


def test_prose_only_is_a_counted_rejection():
    prop = _proposer()
    cand, _ = prop.parse(STATE, "The greeting should say Hello. I hope this helps!")
    assert cand is None and prop.stats.rejected == 1 and prop.stats.empty == 1
    assert prop.stats.reasons == ["the answer held no SEARCH/REPLACE block"]


@pytest.mark.parametrize(
    ("message", "window", "requested"),
    [
        (  # llama-cpp-python's server (seen in the server test) and vLLM
            "This model's maximum context length is 2048 tokens. However, you requested 3036 "
            "tokens (3031 in the messages, 5 in the completion).",
            2048,
            3036,
        ),
        ("Requested tokens (2016) exceed context window of 1024", 1024, 2016),  # llama_cpp.Llama
        (  # OpenAI
            "This model's maximum context length is 128000 tokens. However, your messages "
            "resulted in 130012 tokens.",
            128000,
            130012,
        ),
        ("the request exceeds the available context size, try increasing it", None, None),
    ],
)
def test_prompt_too_long_errors_are_recognised(message, window, requested):
    err = context_overflow(message, "openai")
    if window is None:
        assert err is None  # an unknown wording stays an ordinary error
        return
    assert err is not None and (err.window, err.requested) == (window, requested)
    assert (
        str(err) == f"openai: the prompt does not fit the model's context window of {window} tokens"
    )


def test_llama_cpp_is_imported_only_when_a_model_is_loaded():
    import subprocess
    import sys

    code = (
        "import sys; from treefix.cli.app import app; import treefix.models.llamacpp; "
        "import treefix.models.factory; from treefix.models.llamacpp import PROVIDER; PROVIDER.doctor(); "
        "print('llama_cpp' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_auto_goes_on_with_mutation_once_the_model_budget_is_spent(tmp_path):
    """Search control, not the model: the scripted provider (a stand-in, named) answers prose."""
    import shutil

    # two bugs: the fix is two edits deep, so the search expands again after the first call
    corpus = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "temperature_multi"
    proj = Path(shutil.copytree(corpus, tmp_path / "temperature_multi"))
    script = tmp_path / "prose.jsonl"
    script.write_text(json.dumps("I think the discount is wrong.") + "\n")
    result, report = _run(
        proj,
        "--proposer",
        "auto",
        "--provider",
        "scripted",
        "--model",
        str(script),
        "--max-llm-calls",
        "1",
        "--max-evals",
        "150",
    )
    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed"
    m = report["model"]
    assert m["calls"] == 1 and m["budget_reached"] == "model call budget (1 calls)"
    assert "model call budget (1 calls) reached: continuing with mutation only" in result.output
    assert report["search"]["stop_reason"] != "model call budget (1 calls)"
