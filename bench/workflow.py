"""Workflow track: what the pre-commit hook costs beyond the tests themselves.

Measures, in one run on this machine, for the shipped example `examples/invoice` (failing tests):
- the bare test run (`python -m pytest -q` in the example, what the hook has to do anyway);
- `pre-commit try-repo <this repo> treefix-check --all-files`, which builds the hook's venv from
  scratch on every call (pip installs treefix and its core dependencies), then runs the check;
- `pre-commit run treefix-check` from a config, with the hook's venv cached (what users live with).

Writes bench/results/workflow.json and .md; bench/compose.py puts them into bench/RESULTS.md.
Usage: .venv/bin/python bench/workflow.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
TARGET_S = 10.0


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _commit_all(root: Path) -> Path:
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-qm", "init")
    return root


def hook_repo(dest: Path) -> Path:
    """This working tree (tracked and untracked, not ignored) as one commit, as the test suite does."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = REPO / name
        if src.is_file() and not name.startswith(("bench/", "tests/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return _commit_all(dest)


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    t0 = time.monotonic()
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    return time.monotonic() - t0, out.returncode, out.stdout + out.stderr


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        print("pre-commit is part of the dev extra: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="treefix-bench-wf-") as tmp:
        base = Path(tmp)
        hooks = hook_repo(base / "treefix")
        project = base / "invoice"
        shutil.copytree(REPO / "examples/invoice", project)
        _commit_all(project)
        env = {**os.environ, "PRE_COMMIT_HOME": str(base / "pc"), "PRE_COMMIT_COLOR": "never"}
        env.update(TREEFIX_SANDBOX="local", TREEFIX_WORKERS="2")
        for var in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "VIRTUAL_ENV"):
            env.pop(var, None)
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True, text=True, check=True
        ).stdout.strip()
        (base / "config.yaml").write_text(
            f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: treefix-check\n"
        )
        run_cmd = [str(pre_commit), "run", "-c", str(base / "config.yaml"), "treefix-check", "--all-files"]
        _timed(run_cmd, project, env)  # builds the cached venv once
        bare, tries, runs = [], [], []
        for _ in range(args.runs):  # interleaved, so machine noise hits all three alike
            t, _, _ = _timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env)
            bare.append(t)
            t, rc, text = _timed(
                [str(pre_commit), "try-repo", str(hooks), "treefix-check", "--all-files"], project, env
            )
            if rc != 1 or "treefix-fix --hook-stage manual" not in text:
                print(f"try-repo did not report the fix (exit {rc}):\n{text[-3000:]}", file=sys.stderr)
                return 1
            tries.append(t)
            t, rc, _ = _timed(run_cmd, project, env)
            runs.append(t)
    b, tr, ru = statistics.median(bare), statistics.median(tries), statistics.median(runs)
    data = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "runs": args.runs,
        "bare_test_s": b,
        "try_repo_s": tr,
        "run_cached_s": ru,
        "try_repo_overhead_s": tr - b,
        "run_cached_overhead_s": ru - b,
        "all": {"bare": bare, "try_repo": tries, "run_cached": runs},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "workflow.json").write_text(json.dumps(data, indent=2))
    md = [
        f"# Workflow track ({data['date']}, nproc={os.cpu_count()})",
        "",
        "`examples/invoice` (2 failing tests), medians of "
        f"{args.runs} interleaved runs; overhead = time beyond the bare test run.",
        "",
        "| what | wall | beyond the tests |",
        "|---|---|---|",
        f"| bare `pytest -q` | {b:.2f} s | - |",
        f"| `pre-commit try-repo . treefix-check` (hook venv built from scratch) | {tr:.1f} s | {tr - b:.1f} s |",
        f"| `pre-commit run treefix-check` (hook venv cached) | {ru:.1f} s | {ru - b:.1f} s |",
        "",
    ]
    (RESULTS / "workflow.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
