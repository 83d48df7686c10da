"""Write-back modes end to end on real repositories: default, --apply, --branch, --commit, refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.test_cli_repair import FAST, FIXED_LINE
from tests.conftest import BUGGY, git, init_repo, write_tree
from treefix.cli.app import app

BUGGY_LINE = "    if len(prices) > discount_from:\n"


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def _messy(root: Path) -> Path:
    """The buggy shop with every kind of user state: staged, unstaged, both, untracked, ignored."""
    init_repo(write_tree(root, {**BUGGY, ".gitignore": "*.log\n", "notes.md": "notes\n"}))
    (root / "shop/__init__.py").write_text("# staged\n")
    git(root, "add", "shop/__init__.py")
    (root / "notes.md").write_text("notes v2 staged\n")
    git(root, "add", "notes.md")
    (root / "notes.md").write_text("notes v3 unstaged on top\n")
    cart = (root / "shop/cart.py").read_text()
    (root / "shop/cart.py").write_text("# unstaged comment\n" + cart)
    (root / "scratch.py").write_text("S = 1\n")
    (root / "run.log").write_text("ignored\n")
    return root


def _state(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith((".git/", ".treefix/")) and "__pycache__" not in rel:
            out[rel] = p.read_text()
    out["<index>"] = hashlib.sha256((root / ".git/index").read_bytes()).hexdigest()
    out["<HEAD>"] = (root / ".git/HEAD").read_text() + git(root, "rev-parse", "HEAD")
    out["<branches>"] = git(root, "for-each-ref", "refs/heads")
    status = git(root, "status", "--porcelain", "--ignored").splitlines(keepends=True)
    out["<status>"] = "".join(line for line in status if line != "!! .treefix/\n")
    return out


def _run(path: Path, *extra: str):
    result = CliRunner().invoke(app, ["repair", str(path), "--format", "json", *FAST, *extra])
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result, report


def test_default_run_leaves_every_kind_of_file_byte_identical(tmp_path):
    root = _messy(tmp_path / "r")
    before = _state(root)
    result, report = _run(root)
    assert result.exit_code == 0, result.output
    assert report["write_back"]["mode"] == "patch"
    assert _state(root) == before
    snap = report["snapshot"]
    assert git(root, "rev-parse", snap["ref"]).strip() == snap["commit"]
    assert git(root, "show", f"{snap['ref']}:scratch.py") == "S = 1\n"


def test_apply_changes_only_the_fixed_hunk(tmp_path):
    root = _messy(tmp_path / "r")
    before = _state(root)
    result, report = _run(root, "--apply")
    assert result.exit_code == 0, result.output
    after = _state(root)
    assert report["fix"]["applied"] == ["shop/cart.py"]
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"shop/cart.py"}  # status too: cart.py was already " M"
    assert after["shop/cart.py"] == before["shop/cart.py"].replace(BUGGY_LINE, FIXED_LINE)
    assert not (root / ".treefix" / "apply").exists()


def test_branch_leaves_tree_index_and_head_untouched(tmp_path):
    root = _messy(tmp_path / "r")
    before = _state(root)
    result, report = _run(root, "--branch", "treefix/cart")
    assert result.exit_code == 0, result.output
    after = _state(root)
    assert {k for k in after if after[k] != before[k]} == {"<branches>"}
    wb = report["write_back"]
    assert wb["mode"] == "branch" and wb["ref"] == "refs/heads/treefix/cart"
    assert git(root, "rev-parse", "treefix/cart^").strip() == report["snapshot"]["commit"]
    assert FIXED_LINE in git(root, "show", "treefix/cart:shop/cart.py")
    assert git(root, "show", "treefix/cart:scratch.py") == "S = 1\n"  # based on the snapshot
    assert "Fixed-by: treefix" in git(root, "log", "-1", "--format=%B", "treefix/cart")


def test_commit_commits_only_the_fix(tmp_path):
    root = _messy(tmp_path / "r")
    head = git(root, "rev-parse", "HEAD").strip()
    result, report = _run(root, "--commit")
    assert result.exit_code == 0, result.output
    assert git(root, "rev-parse", "HEAD^").strip() == head
    assert git(root, "diff", "--name-only", "HEAD^", "HEAD").split() == ["shop/cart.py"]
    committed = git(root, "show", "HEAD:shop/cart.py")
    assert FIXED_LINE in committed and "# unstaged comment" not in committed
    assert git(root, "diff", "--cached", "--name-only").split() == ["notes.md", "shop/__init__.py"]
    assert (root / "shop/cart.py").read_text().startswith("# unstaged comment\n")
    assert report["write_back"]["commit"] == git(root, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--branch", "x"], 2, "needs a git repository"),
        (["--commit"], 2, "needs a git repository"),
        (["--apply", "--commit"], 2, "cannot be combined"),
        (["--format", "yaml"], 2, "--format must be"),
    ],
)
def test_write_back_needing_git_is_refused_in_a_plain_folder(buggy_project, args, code, words):
    result = CliRunner().invoke(app, ["repair", str(buggy_project), *FAST, *args])
    assert result.exit_code == code, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not (buggy_project / ".treefix").exists()


@pytest.mark.parametrize(
    ("marker", "words"),
    [
        ("MERGE_HEAD", "a merge is in progress"),
        ("rebase-merge", "a rebase is in progress"),
        ("CHERRY_PICK_HEAD", "a cherry-pick is in progress"),
        ("BISECT_LOG", "a bisect is in progress"),
    ],
)
def test_a_repo_mid_operation_is_refused_with_exit_3(buggy_repo, marker, words):
    target = buggy_repo / ".git" / marker
    if marker == "rebase-merge":
        target.mkdir()
    else:
        target.write_text(git(buggy_repo, "rev-parse", "HEAD"))
    result = CliRunner().invoke(app, ["repair", str(buggy_repo), *FAST])
    assert result.exit_code == 3, result.output
    assert words in result.output and "then run treefix again" in result.output
    assert git(buggy_repo, "for-each-ref", "refs/treefix") == ""


def test_commit_on_an_unborn_branch_is_refused_but_branch_works(tmp_path):
    root = write_tree(tmp_path / "r", BUGGY)
    git(root, "init", "-q", "-b", "main")
    result = CliRunner().invoke(app, ["repair", str(root), *FAST, "--commit"])
    assert result.exit_code == 2 and "no commits yet" in result.output
    result, report = _run(root, "--branch", "first-fix")
    assert result.exit_code == 0, result.output
    assert FIXED_LINE in git(root, "show", "first-fix:shop/cart.py")
    assert git(root, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert not (root / ".git/index").exists()


def test_existing_branch_is_refused_before_searching(buggy_repo):
    git(buggy_repo, "branch", "taken")
    result = CliRunner().invoke(app, ["repair", str(buggy_repo), *FAST, "--branch", "taken"])
    assert result.exit_code == 2 and "already exists" in result.output
    assert not (buggy_repo / ".treefix").exists()


def test_patch_format_and_output_file(buggy_repo, tmp_path):
    out = tmp_path / "out" / "fix.diff"
    result = CliRunner().invoke(app, ["repair", str(buggy_repo), *FAST, "--format", "patch"])
    assert result.exit_code == 0
    assert result.stdout.startswith("--- a/shop/cart.py") and "+" + FIXED_LINE in result.stdout
    result = CliRunner().invoke(app, ["repair", str(buggy_repo), *FAST, "--format", "json", "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["status"] == "fixed"
