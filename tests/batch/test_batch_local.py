"""`treefix batch` with the local executor, on real git repositories in temp dirs."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import BUGGY, init_repo, write_tree
from treefix.cli.app import app

FAST = ["--sandbox", "local", "--max-evals", "60", "--time-limit", "600", "--workers", "1"]
PASSING = {
    "calc/__init__.py": "def add(a, b):\n    return a + b\n",
    "tests/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    "conftest.py": "",
}


def _repos(root: Path) -> Path:
    repos = root / "repos"
    init_repo(write_tree(repos / "shop", BUGGY))
    init_repo(write_tree(repos / "calc", PASSING))
    return repos


def _batch(*args: str):
    return CliRunner().invoke(app, ["batch", *args, *FAST])


def test_folder_manifest_repairs_each_repo_and_writes_the_summary(tmp_path: Path):
    repos = _repos(tmp_path)
    out = tmp_path / "out"
    result = _batch(str(repos), "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads((out / "batch.json").read_text())
    by_name = {r["name"]: r for r in data["results"]}
    assert by_name["shop"]["status"] == "fixed"
    assert by_name["calc"]["status"] == "nothing_to_repair"
    assert (
        "discount_from" in by_name["shop"]["fix_patch"]
        or "len(prices)" in by_name["shop"]["fix_patch"]
    )
    assert json.loads((out / "runs" / "shop" / "report.json").read_text())["status"] == "fixed"
    assert "| shop | fixed | 0 |" in (out / "batch.md").read_text()
    # without --apply the user's tree is untouched
    assert (repos / "shop" / "shop" / "cart.py").read_text() == BUGGY["shop/cart.py"]


def test_resume_skips_unchanged_entries_and_reruns_changed_ones(tmp_path: Path):
    repos = _repos(tmp_path)
    out = tmp_path / "out"
    assert _batch(str(repos), "--out", str(out)).exit_code == 0
    again = _batch(str(repos), "--out", str(out), "--resume")
    assert again.exit_code == 0, again.output
    first = {r["name"]: r for r in json.loads((out / "batch.json").read_text())["results"]}
    assert first["shop"]["resumed"] and first["calc"]["resumed"]
    # an edited repo (or other settings) is not skipped
    (repos / "calc" / "calc" / "__init__.py").write_text("def add(a, b):\n    return a - b\n")
    third = _batch(str(repos), "--out", str(out), "--resume")
    res = {r["name"]: r for r in json.loads((out / "batch.json").read_text())["results"]}
    assert res["shop"].get("resumed") and not res["calc"].get("resumed")
    assert res["calc"]["status"] == "fixed", third.output


def test_toml_and_jsonl_manifests_with_per_entry_settings_and_apply(tmp_path: Path):
    repos = _repos(tmp_path)
    (tmp_path / "m.toml").write_text(
        '[[entry]]\npath = "repos/shop"\ntest-cmd = "python -m pytest -q"\n'
        "settings = { max-evals = 40 }\n"
    )
    out = tmp_path / "out"
    result = _batch(str(tmp_path / "m.toml"), "--out", str(out), "--apply")
    assert result.exit_code == 0, result.output
    res = json.loads((out / "batch.json").read_text())["results"][0]
    assert res["written_back"] == ["shop/cart.py"]
    assert (repos / "shop" / "shop" / "cart.py").read_text() != BUGGY["shop/cart.py"]
    # JSONL: a git URL (a local clone source) at a ref; a no-fix entry makes the batch exit 1
    (tmp_path / "m.jsonl").write_text(
        json.dumps({"url": str(repos / "calc"), "ref": "main", "name": "calc-url"})
        + "\n"
        + json.dumps({"path": "repos/shop", "settings": {"max-evals": 1}, "test-cmd": "false"})
        + "\n"
    )
    result = _batch(str(tmp_path / "m.jsonl"), "--out", str(tmp_path / "out2"))
    res = {
        r["name"]: r for r in json.loads((tmp_path / "out2" / "batch.json").read_text())["results"]
    }
    assert res["calc-url"]["status"] == "nothing_to_repair"
    assert res["shop"]["status"] != "fixed"
    assert result.exit_code == 1, result.output


def test_bad_manifests_are_one_line_errors_with_exit_2(tmp_path: Path):
    (tmp_path / "bad.toml").write_text("[[entry]]\npath = 'nowhere'\n")
    r = _batch(str(tmp_path / "bad.toml"))
    assert r.exit_code == 2 and "nowhere is not a folder" in r.output
    (tmp_path / "bad.jsonl").write_text('{"path": ".", "settings": {"max-evals": "many"}}\n')
    r = _batch(str(tmp_path / "bad.jsonl"))
    assert r.exit_code == 2 and "max-evals must be an integer" in r.output
    assert "Traceback" not in r.output


def test_executor_ray_without_the_extra_exits_2_naming_it(tmp_path: Path):
    import subprocess
    import sys

    blocker = tmp_path / "noray" / "ray"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    repos = _repos(tmp_path)
    env = {**__import__("os").environ, "PYTHONPATH": str(blocker.parent)}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "treefix",
            "batch",
            str(repos),
            "--executor",
            "ray",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 2, r.stderr
    assert "pip install 'treefix[ray]'" in r.stderr and "Traceback" not in r.stderr
    d = subprocess.run(
        [sys.executable, "-m", "treefix", "doctor", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "treefix[ray]" in __import__("json").loads(d.stdout)["ray"]["detail"]


def _git(repo: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_branch_commits_each_fix_on_a_new_branch_and_refuses_a_folder_outside_git(tmp_path):
    repos = _repos(tmp_path)
    init_repo(write_tree(repos / "shop2", BUGGY))
    write_tree(repos / "plain", BUGGY)  # not a git repository: nothing to put a branch in
    heads = {n: _git(repos / n, "rev-parse", "HEAD") for n in ("shop", "shop2")}
    out = tmp_path / "out"
    result = _batch(str(repos), "--out", str(out), "--branch", "treefix/fix")
    assert result.exit_code == 1, result.output  # the plain folder's entry failed
    res = {r["name"]: r for r in json.loads((out / "batch.json").read_text())["results"]}
    assert res["plain"]["status"] == "error" and "--branch needs a git repository" in res["plain"]["message"]
    for name in ("shop", "shop2"):
        r, repo = res[name], repos / name
        assert r["status"] == "fixed" and r["ref"] == "refs/heads/treefix/fix", r
        assert _git(repo, "rev-parse", "treefix/fix") == r["commit"]
        assert _git(repo, "rev-parse", "treefix/fix~1") == heads[name]  # on the snapshot
        fixed = _git(repo, "show", "treefix/fix:shop/cart.py")
        assert fixed != BUGGY["shop/cart.py"].strip() and "discount_from" in fixed
        # tree, index and HEAD untouched
        assert _git(repo, "rev-parse", "HEAD") == heads[name]
        assert (repo / "shop" / "cart.py").read_text() == BUGGY["shop/cart.py"]
        assert _git(repo, "status", "--porcelain") == ""
    # a second batch with the same branch name: refused per entry before any search
    again = _batch(str(repos), "--out", str(tmp_path / "out2"), "--branch", "treefix/fix")
    res2 = {r["name"]: r for r in json.loads((tmp_path / "out2" / "batch.json").read_text())["results"]}
    assert again.exit_code == 1
    assert res2["shop"]["status"] == "error" and "treefix/fix" in res2["shop"]["message"]


def test_commit_puts_each_fix_on_the_current_branch(tmp_path):
    repos = _repos(tmp_path)
    head = _git(repos / "shop", "rev-parse", "HEAD")
    out = tmp_path / "out"
    result = _batch(str(repos), "--out", str(out), "--commit")
    assert result.exit_code == 0, result.output
    res = {r["name"]: r for r in json.loads((out / "batch.json").read_text())["results"]}
    shop = repos / "shop"
    assert res["shop"]["commit"] == _git(shop, "rev-parse", "HEAD") != head
    assert _git(shop, "log", "-1", "--format=%s") == "treefix: fix failing tests in shop/cart.py"
    assert (shop / "shop" / "cart.py").read_text() != BUGGY["shop/cart.py"]
    assert _git(shop, "status", "--porcelain") == ""
    assert res["calc"]["status"] == "nothing_to_repair" and "commit" not in res["calc"]


def test_write_back_modes_exclude_each_other(tmp_path):
    r = _batch(str(_repos(tmp_path)), "--apply", "--commit")
    assert r.exit_code == 2 and "--apply and --commit cannot be combined" in r.output
    assert "Traceback" not in r.output
