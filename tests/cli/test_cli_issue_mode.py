"""Issue mode end to end: `treefix repair PATH --issue FILE` with the real SDK against the local
server. The model writes a reproduction test; it is kept only when it fails on the snapshot for the
reason it states, then the run repairs against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import git, init_repo, write_tree
from tests.models.llm_server import Step, prompt_text, serve
from treefix.cli.app import app

llm_server = pytest.fixture(serve, name="llm_server")

SHOP = {
    "shop/__init__.py": "",
    "shop/tax.py": "# VAT\nRATE = 0.02\n",
    "shop/cart.py": "from shop.tax import RATE\n\n\ndef total(price):\n    return price * (1 + RATE)\n",
    "tests/test_cart.py": "from shop.cart import total\n\n\ndef test_zero():\n    assert total(0) == 0\n",
}
ISSUE = "total(100) gives 102.0 instead of 120.0: VAT is 20%, the cart charges 2%.\n"
REPRO = (
    "FILE: tests/test_vat_issue.py\n"
    "```python\nfrom shop.cart import total\n\n\n"
    "def test_vat_is_twenty_percent():\n    assert total(100) == 120\n```\n"
    "EXPECTED FAILURE: AssertionError: assert 102.0 == 120\n"
)
WRONG_REASON = REPRO.replace("import total", "import totl")  # fails, but on an ImportError
FIX = (
    "EXPLANATION: The VAT rate is 20%.\n\n"
    "<<<<<<< SEARCH shop/tax.py\nRATE = 0.02\n=======\nRATE = 0.2\n>>>>>>> REPLACE\n"
)
FAST = ["--sandbox", "local", "--workers", "1", "--time-limit", "120", "--samples", "1"]


@pytest.fixture(autouse=True)
def _no_ambient_keys(monkeypatch):
    for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(k, raising=False)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "shop", SHOP)
    (tmp_path / "issue.md").write_text(ISSUE)
    return root


def _run(root: Path, *extra: str):
    issue = str(root.parent / "issue.md")
    args = ["repair", str(root), "--json", "--issue", issue, *FAST, *extra]
    result = CliRunner().invoke(app, args)
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result, report


def _answers(*repro: str):
    """Reproduction requests get the next of `repro`; patch requests get the fix."""
    queue = list(repro)

    def answer(body: dict) -> Step | str:
        if "reproduces the issue" in prompt_text(body):
            return queue.pop(0)
        return FIX

    return answer


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_reproduction_failing_for_the_wrong_reason_is_rejected_then_the_right_one_is_repaired(
    provider, shop, llm_server, monkeypatch
):
    monkeypatch.setenv(f"{provider.upper()}_API_KEY", llm_server.key)
    llm_server.default = _answers(WRONG_REASON, REPRO)
    base = llm_server.url + ("/v1" if provider == "openai" else "")
    result, report = _run(shop, "--proposer", "model", "--provider", provider, "--base-url", base)
    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed"
    assert "+RATE = 0.2" in report["fix"]["patch"]
    assert "test_vat_issue" not in report["fix"]["patch"]  # not without --keep-test
    texts = [prompt_text(r.body) for r in llm_server.requests]
    repro_prompts = [t for t in texts if "reproduces the issue" in t]
    assert len(repro_prompts) == 2 and ISSUE.strip() in repro_prompts[0]
    # the rejection and its reason went back to the model
    assert "another reason" in repro_prompts[1] and "ImportError" in repro_prompts[1]
    assert "shop/tax.py" in repro_prompts[0]  # the repository map
    # the repair's prompts name the reproduction test as the failing one
    assert any("test_vat_is_twenty_percent" in t for t in texts if "SEARCH" in t)
    assert not (shop / "tests/test_vat_issue.py").exists()  # the user's tree is untouched
    trajectory = (Path(report["run_dir"]) / "trajectory.jsonl").read_text().splitlines()
    repro = [json.loads(x) for x in trajectory if '"reproduction"' in x]
    assert [("rejected" in r, r.get("path")) for r in repro] == [
        (True, None),
        (False, "tests/test_vat_issue.py"),
    ]


def test_no_reproduction_for_the_reported_reason_exits_1(shop, llm_server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    llm_server.default = _answers(WRONG_REASON, WRONG_REASON, WRONG_REASON)
    result, _ = _run(shop, "--provider", "anthropic", "--base-url", llm_server.url)
    assert result.exit_code == 1, result.output
    assert "no reproduction test failed for the reason the issue describes" in result.output
    assert "Traceback" not in result.output
    assert llm_server.count() == 3


def test_issue_mode_without_a_model_exits_4(shop):
    result, _ = _run(shop)
    assert result.exit_code == 4, result.output
    assert "--issue needs a model" in result.output and "Traceback" not in result.output


def test_an_unreadable_issue_file_is_a_usage_error(shop, tmp_path):
    result = CliRunner().invoke(app, ["repair", str(shop), "--issue", str(tmp_path / "nope.md")])
    assert result.exit_code == 2 and "cannot read it" in result.output


def test_keep_test_adds_the_reproduction_test_to_the_fix(shop, llm_server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    llm_server.default = _answers(REPRO)
    result, report = _run(
        shop,
        "--proposer",
        "model",
        "--provider",
        "anthropic",
        "--base-url",
        llm_server.url,
        "--keep-test",
        "--apply",
    )
    assert result.exit_code == 0, result.output
    fix = report["fix"]
    assert fix["files"] == ["shop/tax.py", "tests/test_vat_issue.py"]
    assert "--- /dev/null\n+++ b/tests/test_vat_issue.py" in fix["patch"]
    assert (Path(report["run_dir"]) / "fix.patch").read_text() == fix["patch"]
    repro = report["reproduction"]
    assert repro["kept_in_fix"] and repro["written"] and repro["attempts"] == 1
    assert repro["failure"].startswith("AssertionError")
    # written into the tree beside the fix, and the suite now passes there
    assert (shop / "shop/tax.py").read_text() == "# VAT\nRATE = 0.2\n"
    assert "def test_vat_is_twenty_percent" in (shop / "tests/test_vat_issue.py").read_text()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=shop,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout


def _keep_test_run(root: Path, llm_server, monkeypatch, *extra: str):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(root.parent))
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    llm_server.default = _answers(REPRO)
    model = ["--proposer", "model", "--provider", "anthropic", "--base-url", llm_server.url]
    return _run(root, *model, "--keep-test", *extra)


def test_keep_test_with_branch_commits_the_reproduction_test_beside_the_fix(
    shop, llm_server, monkeypatch
):
    init_repo(shop)
    head = git(shop, "rev-parse", "HEAD").strip()
    result, report = _keep_test_run(shop, llm_server, monkeypatch, "--branch", "fix/vat")
    assert result.exit_code == 0, result.output
    assert report["write_back"]["mode"] == "branch"
    assert report["reproduction"]["committed"] and not report["reproduction"]["written"]
    changed = git(shop, "diff", "--name-only", "main", "fix/vat").split()
    assert changed == ["shop/tax.py", "tests/test_vat_issue.py"]
    assert "def test_vat_is_twenty_percent" in git(shop, "show", "fix/vat:tests/test_vat_issue.py")
    assert git(shop, "show", "fix/vat:shop/tax.py") == "# VAT\nRATE = 0.2\n"
    # the user's tree, index and HEAD are untouched: no test file appears there
    assert git(shop, "rev-parse", "HEAD").strip() == head
    assert not (shop / "tests/test_vat_issue.py").exists()
    assert (shop / "shop/tax.py").read_text() == SHOP["shop/tax.py"]
    # the branch's suite passes, the kept test included
    work = shop.parent / "checkout"
    git(shop, "worktree", "add", "-q", str(work), "fix/vat")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout


def test_keep_test_with_commit_commits_the_reproduction_test_with_the_fix(
    shop, llm_server, monkeypatch
):
    init_repo(shop)
    head = git(shop, "rev-parse", "HEAD").strip()
    result, report = _keep_test_run(shop, llm_server, monkeypatch, "--commit")
    assert result.exit_code == 0, result.output
    assert git(shop, "rev-parse", "HEAD^").strip() == head
    assert report["write_back"]["commit"] == git(shop, "rev-parse", "HEAD").strip()
    assert report["reproduction"]["committed"] and report["reproduction"]["written"]
    changed = git(shop, "diff", "--name-only", "HEAD^", "HEAD").split()
    assert changed == ["shop/tax.py", "tests/test_vat_issue.py"]
    assert "def test_vat_is_twenty_percent" in (shop / "tests/test_vat_issue.py").read_text()
    # committed, written and staged: nothing left over in `git status` (.treefix/ is the run's)
    status = git(shop, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert [line for line in status if not line.startswith("?? .treefix/")] == []
