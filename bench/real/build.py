#!/usr/bin/env python3
"""Build the corpus: manifests + fetched mirrors -> .work/bugs/<id>/{repo,fix,bug.json} and envs.

    python bench/real/build.py [--mirrors /work/.mirror] [--only id,id] [--kind program|repo]
                               [--work bench/real/.work] [--force] [--retry-envs]

repo/ is a one-commit git repo of the buggy snapshot with its tests (for repository bugs, the
fixed commit's versions of the bug's test files, as BugsInPy does); fix/<path> holds the
developer's fixed version of each changed file, outside the repo's tree. Bugs whose env cannot be
installed are reported with pip's reason and left unbuilt.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import envs
import mirrors
from corpus import WORK, Bug, Built, load_manifests
from programs import Case, module_text, project_files


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def commit_snapshot(repo: Path) -> None:
    """One commit holding the buggy snapshot, so treefix sees a clean git work tree."""

    def git(*args: str) -> None:
        subprocess.run(
            [
                "git",
                "-c",
                "user.name=treefix-bench",
                "-c",
                "user.email=bench@localhost",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "core.hooksPath=/dev/null",
                *args,
            ],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", "-A", "-f", ".")
    git("commit", "-q", "--no-verify", "-m", "buggy snapshot")


def program_files(bug: Bug, mirror_root: Path) -> tuple[dict[str, str], dict[str, str]]:
    o = bug.origin
    if "files" in o:  # a local fixture: sources inline
        return o["files"], o["fix"]

    def read(member: str) -> str:
        return mirrors.zip_member(mirror_root, o["repo"], o["commit"], o["archive"], member)

    names = mirrors.zip_names(mirror_root, o["repo"], o["commit"], o["archive"])
    cases = []
    for name in sorted(names):
        if name.startswith(o["cases"] + "/input_"):
            num = name.rsplit("_", 1)[1].removesuffix(".txt")
            cases.append(Case(num, read(name), read(f"{o['cases']}/output_{num}.txt")))
    prelude = read(o["prelude"]) if o.get("prelude") else ""
    files = project_files(read(o["buggy"]), cases, prelude)
    fix = {path: module_text(read(o["fixed"]), prelude) for path in bug.changed_files}
    return files, fix


def build_repo_tree(bug: Bug, mirror_root: Path, repo: Path, fix: Path) -> None:
    o = bug.origin
    # a fetched mirror, or a local git repo (the tests' fixtures)
    gdir = Path(o["path"]) / ".git" if "path" in o else mirrors.git_dir(mirror_root, o["repo"])
    mirrors.export_tree(gdir, o["buggy"], repo)
    for test_file in o.get("test_files", []):
        (repo / test_file).parent.mkdir(parents=True, exist_ok=True)
        (repo / test_file).write_bytes(mirrors.git(gdir, "show", f"{o['fixed']}:{test_file}"))
    for path in bug.changed_files:
        (fix / path).parent.mkdir(parents=True, exist_ok=True)
        (fix / path).write_bytes(mirrors.git(gdir, "show", f"{o['fixed']}:{path}"))


def build_one(bug: Bug, mirror_root: Path, work: Path, force: bool, retry: bool) -> str:
    """ "" when built (or already there), else why not."""
    bug_dir = work / "bugs" / bug.id
    if (bug_dir / "bug.json").is_file() and not force:
        return ""
    env = envs.ensure_env(bug, work / "envs", retry)
    if env.error:
        return f"env {env.path.name}: {env.error}"
    shutil.rmtree(bug_dir, ignore_errors=True)
    repo, fix = bug_dir / "repo", bug_dir / "fix"
    repo.mkdir(parents=True)
    fix.mkdir()
    try:
        if bug.kind == "program":
            files, fixed = program_files(bug, mirror_root)
            write_files(repo, files)
            write_files(fix, fixed)
        else:
            build_repo_tree(bug, mirror_root, repo, fix)
        commit_snapshot(repo)
    except (subprocess.CalledProcessError, OSError, KeyError) as exc:
        shutil.rmtree(bug_dir, ignore_errors=True)
        return f"build failed: {exc}"
    Built(bug, bug_dir, bug.test_cmd.format(python=env.python), str(env.path)).save()
    return ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--manifest", type=Path, action="append", help="default: manifests/*.jsonl")
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--only", default="", help="comma-separated bug ids")
    ap.add_argument("--kind", choices=["program", "repo"])
    ap.add_argument("--force", action="store_true", help="rebuild bugs already built")
    ap.add_argument("--retry-envs", action="store_true", help="retry envs that failed before")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    bugs = [
        b
        for b in load_manifests(args.manifest)
        if not b.skip and (not only or b.id in only) and (not args.kind or b.kind == args.kind)
    ]
    failed = 0
    for n, bug in enumerate(bugs, 1):
        why = build_one(bug, args.mirrors, args.work, args.force, args.retry_envs)
        failed += bool(why)
        print(f"[{n}/{len(bugs)}] {bug.id}: {why or 'built'}", file=sys.stderr, flush=True)
    print(f"built {len(bugs) - failed}/{len(bugs)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
