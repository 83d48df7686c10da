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
