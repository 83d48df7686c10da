"""The GitHub Action's logic (called by action.yml): run treefix, write outputs, a job summary,
and carry out the mode (patch | commit | pull-request). Standard library only.

Inputs arrive as INPUT_* environment variables; the GITHUB_* files are written as GitHub expects.
Exit status: 0 when treefix ran (fixed or not: see the `fixed` output), treefix's own code (2, 3, 4)
when it could not run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MODES = ("patch", "commit", "pull-request")


def _input(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name.upper().replace('-', '_')}", default).strip() or default


def _set_output(name: str, value: str) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        print(f"{name}={value}")
        return
    with open(path, "a", encoding="utf-8") as fh:
        if "\n" in value:
            fh.write(f"{name}<<TREEFIX_EOF\n{value}\nTREEFIX_EOF\n")
        else:
            fh.write(f"{name}={value}\n")


def _summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    else:
        print(text)


def _git(path: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=path,
        capture_output=True,
        text=True,
        check=check,
    )


def _current_branch(path: str) -> str:
    for var in ("INPUT_BASE_BRANCH", "GITHUB_HEAD_REF"):
        if os.environ.get(var):
            return os.environ[var]
    out = _git(path, "symbolic-ref", "--short", "-q", "HEAD", check=False).stdout.strip()
    return out or os.environ.get("GITHUB_REF_NAME", "")


def markdown(report: dict, extra: list[str]) -> str:
    status = report.get("status", "error")
    title = {
        "fixed": "treefix found a validated fix",
        "nothing_to_repair": "treefix: all tests pass, nothing to repair",
        "no_fix": "treefix found no fix within the budget",
    }.get(status, f"treefix: {status}")
    lines = [f"## {title}", "", report.get("message", ""), ""]
    search = report.get("search") or {}
    base = report.get("baseline") or {}
    rows = [
        ("test command", f"`{report.get('test_command')}`"),
        (
            "baseline",
            f"{base.get('status', '-')}: {base.get('passed', 0)} passed, {len(base.get('failing', []))} failing",
        ),
        ("evaluations", search.get("evaluations", 0)),
        ("first fix after", f"{search.get('evals_to_first_fix') or '-'} evaluations"),
        ("elapsed", f"{search.get('elapsed', 0):.1f} s"),
        ("stop reason", search.get("stop_reason", "-")),
        ("sandbox", (report.get("sandbox") or {}).get("kind", "-")),
    ]
    model = report.get("model") or {}
    if isinstance(model, dict) and model.get("cost_usd") is not None:
        rows.append(("model cost", f"${model['cost_usd']:.4f}"))
    lines += ["| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows], ""]
    fix = report.get("fix")
    if fix:
        lines += [f"- `{e['path']}:{e['line']}` {e['description']}" for e in fix["edits"]]
        lines += ["", "```diff", fix["patch"].rstrip("\n"), "```", ""]
    lines += extra
    return "\n".join(lines) + "\n"


def main() -> int:
    path = _input("path", ".")
    mode = _input("mode", "patch")
    if mode not in MODES:
        print(f"::error::mode must be patch, commit or pull-request, not {mode!r}")
        return 2
    treefix = os.environ.get("TREEFIX_BIN") or shutil.which("treefix") or "treefix"
    out_dir = Path(os.environ.get("RUNNER_TEMP") or tempfile.mkdtemp()) / "treefix"
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / "report.json"
    env = dict(os.environ)
    for key, var in (
        ("test-command", "TREEFIX_TEST_CMD"),
        ("proposer", "TREEFIX_PROPOSER"),
        ("max-evals", "TREEFIX_MAX_EVALS"),
        ("max-cost-usd", "TREEFIX_MAX_COST_USD"),
    ):
        if _input(key):
            env[var] = _input(key)
    if not _input("test-command") and not any((Path(path) / d).is_dir() for d in (".venv", "venv")):
        env["TREEFIX_TEST_CMD"] = (
            "python -m pytest"  # the job's Python, where the project is installed
        )
    argv = [treefix, "repair", path, "--format", "json", "--output", str(report_path)]
    branch = ""
    if mode == "commit":
        argv.append("--commit")
    elif mode == "pull-request":
        run_id = os.environ.get("GITHUB_RUN_ID", "local")
        branch = f"treefix/fix-{run_id}-{os.environ.get('GITHUB_RUN_ATTEMPT', '1')}"
        argv += ["--branch", branch]
    print("::group::treefix repair", flush=True)
    proc = subprocess.run(argv, env=env)
    print("::endgroup::", flush=True)
    if not report_path.exists():
        print(f"::error::treefix could not run (exit {proc.returncode}); see the log above")
        _set_output("fixed", "false")
        _set_output("summary", f"treefix could not run (exit {proc.returncode})")
        return proc.returncode or 3
    report = json.loads(report_path.read_text())
    fixed = report.get("status") == "fixed" and report.get("fix") is not None
    extra: list[str] = []
    patch_path = ""
    if fixed:
        patch = out_dir / "fix.patch"
        patch.write_text(report["fix"]["patch"])
        patch_path = str(patch)
        wb = report.get("write_back") or {}
        if wb.get("error"):
            extra.append(f"**Not written back:** {wb['error']}")
        elif mode == "commit" and wb.get("commit"):
            target = _current_branch(path)
            if target:
                push = _git(path, "push", "origin", f"HEAD:refs/heads/{target}", check=False)
                extra.append(
                    f"Committed {wb['commit'][:12]} and pushed to `{target}`."
                    if push.returncode == 0
                    else f"Committed {wb['commit'][:12]}; push failed: {push.stderr.strip()}"
                )
            else:
                extra.append(
                    f"Committed {wb['commit'][:12]} on a detached HEAD (not pushed: no branch)."
                )
        elif mode == "pull-request" and wb.get("commit"):
            extra += _pull_request(path, branch, report)
    summary_line = f"{report.get('status')}: {report.get('message', '')}" + (
        f" ({', '.join(report['fix']['files'])})" if fixed else ""
    )
    _set_output("fixed", "true" if fixed else "false")
    _set_output("patch-path", patch_path)
    _set_output("summary", summary_line)
    _summary(markdown(report, extra))
    if proc.returncode >= 2:
        print(f"::error::{report.get('message', 'treefix failed')}")
        return proc.returncode
    return 0


def _pull_request(path: str, branch: str, report: dict) -> list[str]:
    push = _git(path, "push", "origin", f"refs/heads/{branch}:refs/heads/{branch}", check=False)
    if push.returncode != 0:
        print(f"::warning::could not push {branch}: {push.stderr.strip()}")
        return [f"Fix committed on `{branch}`; push failed: {push.stderr.strip()}"]
    base = _current_branch(path)
    body = markdown(report, ["", "_Opened by the treefix action; review the diff before merging._"])
    gh = shutil.which("gh")
    if gh is None:
        return [f"Pushed `{branch}`; `gh` is not installed, so no pull request was opened."]
    argv = [
        gh,
        "pr",
        "create",
        "--head",
        branch,
        "--title",
        f"treefix: fix failing tests in {', '.join(report['fix']['files'][:3])}",
        "--body",
        body,
    ]
    if base:
        argv += ["--base", base]
    pr = subprocess.run(argv, cwd=path, capture_output=True, text=True)
    if pr.returncode != 0:
        print(f"::warning::gh pr create failed: {pr.stderr.strip()}")
        return [f"Pushed `{branch}`; opening the pull request failed: {pr.stderr.strip()}"]
    url = pr.stdout.strip().splitlines()[-1] if pr.stdout.strip() else ""
    _set_output("pull-request-url", url)
    return [f"Pull request: {url}"]


if __name__ == "__main__":
    sys.exit(main())
