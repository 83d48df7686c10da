"""`treefix repair` with a model, end to end: the real SDKs talk to a local fake API server.

The fixture repo's bug is a misspelled string literal. The offline proposer fixes it only through
the failing assertion's expected value (`expected`); where no failure spells out the wanted text,
only the served model knows the fix. One of its tests asserts that no API key reached the sandbox
and prints the environment; the run's output, report, trajectory and the prompts sent must not
contain the key either.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import BUGGY, write_tree
from tests.models.llm_server import Step, prompt_text, serve
from treefix.cli.app import app

llm_server = pytest.fixture(serve, name="llm_server")

GREET = {
    "greet/__init__.py": "",
    "greet/core.py": (
        'def greeting(name):\n    return "Helo, " + name + "!"\n\n\n'
        "def shout(name):\n    return greeting(name).upper()\n"
    ),
    "tests/test_greet.py": (
        "import os\n\nfrom greet.core import greeting, shout\n\n\n"
        "def test_greeting():\n    print(sorted(os.environ.items()))\n"
        '    assert greeting("Ada") == "Hello, Ada!"\n\n\n'
        'def test_shout_has_name():\n    assert "ADA" in shout("Ada")\n\n\n'
        "def test_no_key_in_sandbox():\n    print(sorted(os.environ.items()))\n"
        '    assert not [k for k in os.environ if k.endswith("_API_KEY") or k.startswith("ANTHROPIC")]\n'
    ),
}
FIX = (
    "EXPLANATION: The greeting literal is misspelled.\n\n"
    "<<<<<<< SEARCH greet/core.py\n"
    '    return "Helo, " + name + "!"\n'
    "=======\n"
    '    return "Hello, " + name + "!"\n'
    ">>>>>>> REPLACE\n"
)
WRONG = (
    "EXPLANATION: Maybe shout is wrong.\n\n"
    "<<<<<<< SEARCH greet/core.py\n"
    "    return greeting(name).upper()\n"
    "=======\n"
    "    return greeting(name).upper() + ''\n"
    ">>>>>>> REPLACE\n"
)
# --fixes 1: these tests count the calls of a run that stops at its first fix (a model's default
# is 3, tested on its own below)
FAST = ["--sandbox", "local", "--workers", "1", "--time-limit", "120", "--samples", "1"]
FAST += ["--fixes", "1"]


@pytest.fixture
def greet(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "greet", GREET)


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch):
    for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(k, raising=False)


def _run(path: Path, *extra: str):
    result = CliRunner().invoke(app, ["repair", str(path), "--json", *FAST, *extra])
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result, report


def _everything_written(path: Path) -> str:
    texts = []
    for p in (path / ".treefix").rglob("*"):
        if p.is_file():
            texts.append(p.read_text(errors="replace"))
    return "\n".join(texts)


def _assert_no_key(key: str, result, path: Path, server) -> None:
    assert key not in result.output
    assert key not in _everything_written(path)
    for r in server.requests:
        assert key not in json.dumps(r.body)


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_the_served_model_fixes_what_mutation_cannot(provider, greet, llm_server, monkeypatch):
    key_var = "ANTHROPIC_API_KEY" if provider == "anthropic" else "OPENAI_API_KEY"
    monkeypatch.setenv(key_var, llm_server.key)
    llm_server.push(FIX)
    base = llm_server.url + ("/v1" if provider == "openai" else "")
    result, report = _run(greet, "--proposer", "model", "--provider", provider, "--base-url", base)
    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed"
    assert '+    return "Hello, " + name + "!"' in report["fix"]["patch"]
    m = report["model"]
    assert m["calls"] == 1 and m["requests"] == 1 and m["input_tokens"] == 1000
    assert m["cost_usd"] is not None and m["cost_usd"] > 0
    assert report["search"]["evaluations"] <= 3  # one candidate run, one validation
    # the key stayed out of the sandbox (its own test passed), the output, the run folder and
    # the prompts; the env print of the fixture is in the prompt's output tail, scrubbed
    assert "tests/test_greet.py::test_no_key_in_sandbox" not in report["targets"]
    _assert_no_key(llm_server.key, result, greet, llm_server)
    traj = [
        json.loads(x)
        for x in next((greet / ".treefix/runs").iterdir())
        .joinpath("trajectory.jsonl")
        .read_text()
        .splitlines()
    ]
    calls = [t for t in traj if t.get("type") == "model_call"]
    assert len(calls) == 1 and len(calls[0]["prompt_sha256"]) == 64
    assert calls[0]["response"] == FIX and calls[0]["usage"]["output_tokens"] == 200


def _texts(body: dict) -> list[tuple[str, bool]]:
    """(text, cached) of every block the SDK sent, system first, in order."""
    out = []
    system = body.get("system")
    if isinstance(system, list):
        out += [(b["text"], "cache_control" in b) for b in system]
    for m in body["messages"]:
        content = m["content"]
        if isinstance(content, str):
            out.append((content, False))
        else:
            out += [(b["text"], "cache_control" in b) for b in content]
    return out


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_the_first_prompt_carries_the_failure_the_test_source_and_the_diff(
    provider, greet, llm_server, monkeypatch
):
    """The root's prompt, as the SDK puts it on the wire: the baseline's failure message (not
    bare test ids), pytest's assertion diff, the project frames, the failing test's source, and
    the stable prefix (map + tests) before the volatile parts, marked for Anthropic's cache."""
    key_var = "ANTHROPIC_API_KEY" if provider == "anthropic" else "OPENAI_API_KEY"
    monkeypatch.setenv(key_var, llm_server.key)
    llm_server.push(FIX)
    base = llm_server.url + ("/v1" if provider == "openai" else "")
    result, report = _run(greet, "--proposer", "model", "--provider", provider, "--base-url", base)
    assert result.exit_code == 0, result.output
    blocks = _texts(llm_server.requests[0].body)
    text = "\n".join(t for t, _ in blocks)
    # the failure message of each failing test, from the baseline run
    failing = text.split("## Failing tests")[1]
    assert (
        "tests/test_greet.py::test_greeting: AssertionError: assert 'Helo, Ada!' == 'Hello, Ada!'"
        in failing
    )
    assert report["targets"] == ["tests/test_greet.py::test_greeting"]
    # pytest's assertion diff and the traceback frames inside the project
    assert "- Hello, Ada!" in text and "+ Helo, Ada!" in text
    assert 'tests/test_greet.py:8  assert greeting("Ada") == "Hello, Ada!"' in text
    # the failing tests' source, and the repository map with greeting's signature
    assert "6 | def test_greeting():\n7 |     print(sorted(os.environ.items()))" in text
    assert "greet/core.py:" in text and "1: def greeting(name)" in text
    # stable prefix first: the map and the tests come before the suspicious code
    assert (
        text.index("Repository map")
        < text.index("Source of the failing tests")
        < text.index("Suspicious code")
    )
    if provider == "anthropic":
        cached = [t for t, c in blocks if c]
        assert any("Repository map" in t and "def test_greeting" in t for t in cached)
        assert not any("Suspicious code" in t for t in cached)


def test_mutation_alone_fixes_the_literal_the_failing_assertion_expected(greet):
    result, report = _run(greet, "--proposer", "mutation", "--max-evals", "40")
    assert result.exit_code == 0 and report["status"] == "fixed"
    assert '+    return "Hello, " + name + "!"' in report["fix"]["patch"]


def test_mutation_alone_cannot_fix_a_typo_no_failure_spells_out(tmp_path):
    # the test checks a prefix: the failure shows no expected value to edit the literal toward
    tests = GREET["tests/test_greet.py"].replace(
        'assert greeting("Ada") == "Hello, Ada!"', 'assert greeting("Ada").startswith("Hello, ")'
    )
    assert tests != GREET["tests/test_greet.py"]
    repo = write_tree(tmp_path / "greet", {**GREET, "tests/test_greet.py": tests})
    result, report = _run(repo, "--proposer", "mutation", "--max-evals", "40")
    assert result.exit_code == 1 and report["status"] == "no_fix"


def test_retries_on_429_and_500_are_counted_at_the_server(greet, llm_server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    llm_server.push(
        Step("slow down", status=429, headers={"retry-after": "0.2"}),
        Step("oops", status=500, headers={"retry-after": "0"}),
        FIX,
    )
    result, report = _run(greet, "--proposer", "model", "--base-url", llm_server.url)
    assert result.exit_code == 0, result.output
    assert llm_server.count("anthropic") == 3
    assert report["model"]["retries"] == 2 and report["model"]["calls"] == 1


def test_call_budget_ends_the_search_cleanly(greet, llm_server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    llm_server.default = WRONG
    result, report = _run(
        greet, "--proposer", "model", "--base-url", llm_server.url, "--max-llm-calls", "2"
    )
    assert result.exit_code == 1, result.output
    assert report["status"] == "no_fix"
    assert report["search"]["stop_reason"] == "model call budget (2 calls)"
    assert llm_server.count() == 2 and report["model"]["calls"] == 2


def test_cost_budget_ends_the_search_cleanly(greet, llm_server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    llm_server.default = WRONG
    result, report = _run(
        greet, "--proposer", "model", "--base-url", llm_server.url, "--max-cost-usd", "0.001"
    )
    assert result.exit_code == 1, result.output
    assert report["search"]["stop_reason"].startswith("model cost budget")
    assert llm_server.count() == 1


def test_a_provider_still_failing_is_exit_4_with_a_clean_report(greet, llm_server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    llm_server.push(*[Step("down", status=503, headers={"retry-after": "0"}) for _ in range(10)])
    result, report = _run(greet, "--proposer", "model", "--base-url", llm_server.url)
    assert result.exit_code == 4, result.output
    assert report["status"] == "provider_error" and report["exit_code"] == 4
    assert "503" in report["message"] and "still failing" in report["message"]
    assert llm_server.count() == 5  # 1 + 4 retries
    assert (next((greet / ".treefix/runs").iterdir()) / "report.json").exists()
    _assert_no_key(llm_server.key, result, greet, llm_server)


def test_a_bad_key_is_exit_4_and_never_printed(greet, llm_server, monkeypatch):
    bad = "sk-ant-bad-KEY-000111222333"
    monkeypatch.setenv("ANTHROPIC_API_KEY", bad)
    result, report = _run(greet, "--base-url", llm_server.url)  # auto: the key turns the model on
    assert result.exit_code == 4, result.output
    assert "refused the key (HTTP 401)" in result.output
    assert llm_server.count() == 1
    assert bad not in result.output and bad not in _everything_written(greet)


def test_model_only_without_any_model_is_exit_4(greet):
    result, _ = _run(greet, "--proposer", "model")
    assert result.exit_code == 4
    assert "needs a model" in result.output


def test_auto_degrades_to_mutation_when_the_model_keeps_failing(tmp_path, llm_server, monkeypatch):
    proj = write_tree(tmp_path / "proj", BUGGY)  # mutation can fix this one
    monkeypatch.setenv("OPENAI_API_KEY", llm_server.key)
    llm_server.push(*[Step("down", status=500, headers={"retry-after": "0"}) for _ in range(10)])
    result, report = _run(proj, "--base-url", llm_server.url + "/v1", "--max-evals", "150")
    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed"
    assert "continuing with mutation only" in result.output
    assert report["model"]["degraded"] and report["model"]["mode"] == "mutation"


def test_malformed_blocks_are_rejected_counted_and_fed_back(greet, llm_server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    llm_server.push(FIX.replace("Helo, ", "Hallo, ", 1), FIX)
    result, report = _run(greet, "--proposer", "model", "--base-url", llm_server.url)
    assert result.exit_code == 0, result.output
    assert report["model"]["rejected_responses"] == 1
    second = json.dumps(llm_server.requests[1].body)
    assert "previous answers were rejected" in second


def test_scripted_provider_and_the_cache_replay_offline(greet, tmp_path, llm_server, monkeypatch):
    script = tmp_path / "fix.jsonl"
    script.write_text(json.dumps(FIX) + "\n")
    result, report = _run(greet, "--provider", "scripted", "--model", str(script))
    assert result.exit_code == 0, result.output
    assert report["model"]["name"] == "scripted:scripted" and report["model"]["calls"] == 1
    # cache: the first run asks the server, the second replays with the server gone
    monkeypatch.setenv("OPENAI_API_KEY", llm_server.key)
    llm_server.push(FIX)
    cache = tmp_path / "cache"
    args = [
        "--proposer",
        "model",
        "--provider",
        "openai",
        "--base-url",
        llm_server.url + "/v1",
        "--cache",
        str(cache),
    ]
    first, r1 = _run(greet, *args)
    assert first.exit_code == 0 and r1["model"]["calls"] == 1
    llm_server.stop()
    second, r2 = _run(greet, *args)
    assert second.exit_code == 0, second.output
    assert r2["model"]["calls"] == 0 and r2["model"]["cached"] == 1


TWO_BUGS = {
    "greet/__init__.py": "",
    "greet/core.py": (
        'def greeting(name):\n    return "Helo, " + name + "!"\n\n\n'
        'def farewell(name):\n    return "Bye, " + name + "?"\n'
    ),
    "tests/test_greet.py": (
        "from greet.core import farewell, greeting\n\n\n"
        'def test_greeting():\n    assert greeting("Ada") == "Hello, Ada!"\n\n\n'
        'def test_farewell():\n    assert farewell("Ada") == "Bye, Ada!"\n'
    ),
}


def _half_fixer(body: dict) -> str:
    """Scores states when asked as the reviewer; otherwise fixes only the greeting (a partly
    fixed state: the value agent's ground)."""
    if "careful reviewer" in json.dumps(body):
        return "SCORE: 40\nEXPLANATION: one of two tests fixed"
    return FIX


@pytest.mark.parametrize("mode", ["off", "on"])
def test_value_mode_decides_whether_the_value_agent_is_asked(
    mode, tmp_path, llm_server, monkeypatch
):
    proj = write_tree(tmp_path / "two", TWO_BUGS)
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    llm_server.default = _half_fixer
    args = ["--proposer", "model", "--base-url", llm_server.url, "--max-llm-calls", "4"]
    result, report = _run(proj, *args, "--value", mode)
    assert result.exit_code == 1, result.output  # the farewell is never fixed
    asked = [r for r in llm_server.requests if "careful reviewer" in json.dumps(r.body)]
    m = report["model"]
    assert m["value"] == mode and m["value_calls"] == len(asked)
    if mode == "off":
        assert not asked and m["value_cost_usd"] == 0
    else:
        assert asked and m["value_cost_usd"] > 0
        assert m["value_call_share"] == round(len(asked) / m["calls"], 3)


def test_a_bad_value_mode_is_a_usage_error(greet):
    result, _ = _run(greet, "--value", "sometimes")
    assert result.exit_code == 2
    assert "value must be one of auto, on, off" in result.output


def _block(new: str) -> str:
    return (
        "EXPLANATION: The greeting literal is misspelled.\n\n"
        "<<<<<<< SEARCH greet/core.py\n"
        '    return "Helo, " + name + "!"\n'
        "=======\n"
        f"    {new}\n"
        ">>>>>>> REPLACE\n"
    )


# three fixes of the same bug that differ once normalised (parse + unparse)
THREE = [
    _block('return "Hello, " + name + "!"'),
    _block('return "Hello, %s!" % name'),
    _block('return f"Hello, {name}!"'),
]


@pytest.mark.parametrize(("provider", "fixes"), [("anthropic", []), ("openai", ["--fixes", "3"])])
def test_a_model_finds_three_distinct_fixes_and_the_judge_picks_one(
    provider, fixes, greet, llm_server, monkeypatch
):
    """With a model the search goes on to three validated fixes (the default, or --fixes 3);
    --judge sees all three patches in one request and its pick is the fix."""
    monkeypatch.setenv(f"{provider.upper()}_API_KEY", llm_server.key)
    answers = iter(THREE * 4)

    def serve_fixes(body: dict) -> str:
        if "candidate patches that all pass" in json.dumps(body):
            return "PICK: 2\nEXPLANATION: the format string reads best."
        return next(answers)

    llm_server.default = serve_fixes
    base = llm_server.url + ("/v1" if provider == "openai" else "")
    model = ["--proposer", "model", "--provider", provider, "--base-url", base]
    args = [*FAST[:-2], *model, "--judge", "--value", "off", *fixes]
    result = CliRunner().invoke(app, ["repair", str(greet), "--json", *args])
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["options"]["fixes"] == 3
    assert report["options"]["fixes_from"] == ("--fixes" if fixes else "default with a model")
    assert report["search"]["fixes"] == 3 and len(report["alternatives"]) == 2
    patches = [report["fix"]["patch"], *(a["patch"] for a in report["alternatives"])]
    added = sorted(next(x for x in p.splitlines() if x.startswith("+ ")) for p in patches)
    assert added == sorted("+    " + b.split("=======\n    ")[1].split("\n")[0] for b in THREE)
    # one judge request showing the three patches; the fix is the candidate it picked
    judged = [r for r in llm_server.requests if "candidate patches that all" in json.dumps(r.body)]
    assert len(judged) == 1
    shown = prompt_text(judged[0].body)
    assert all(x.split("\n")[0] in shown for x in added)
    second = shown.split("## Candidate 2")[1].split("## Candidate 3")[0]
    picked = next(x for x in report["fix"]["patch"].splitlines() if x.startswith("+ "))
    assert picked in second
    assert report["search"]["pick_reason"] == "judge: the format string reads best."


def test_offline_the_search_stops_at_its_first_fix(buggy_project):
    result = CliRunner().invoke(app, ["repair", str(buggy_project), "--json", *FAST[:-2]])
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["options"]["fixes"] == 1 and report["options"]["fixes_from"] == "default offline"
    assert report["search"]["fixes"] == 1 and report["alternatives"] == []
