#!/usr/bin/env python3
"""Write manifests/bugsinpy-<project>.jsonl from BugsInPy's metadata (soarsmu/BugsInPy mirror).

    python bench/real/collect_bugsinpy.py --mirrors /work/.mirror [--projects luigi,PySnooper]

Per bug BugsInPy gives the buggy and fixed commits (bug.info), the test files taken from the fixed
commit (test_file), the failing tests (run_test.sh) and the developer's source change
(bug_patch.txt: its non-test files are the changed files). The environment (interpreter and pinned
PyPI deps) is chosen here per project and era: BugsInPy's own requirements.txt are `pip freeze`
dumps of a shared machine (pywin32, pipenv, ...), not installable as they stand.
Only these projects are allowed (black, thefuck, tornado, tqdm, youtube-dl are held out).
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path

import mirrors
from corpus import MANIFESTS, Bug, is_test_file, write_manifest

BUGSINPY = "soarsmu/BugsInPy"
HELD_OUT = {"black", "thefuck", "tornado", "tqdm", "youtube-dl"}

PYTEST5 = "pytest==5.4.3"
# project -> (GitHub repo now, python, deps). Pins follow each project's 2019-2020 era.
PROJECTS: dict[str, tuple[str, str, list[str]]] = {
    "PySnooper": (
        "cool-RR/PySnooper",
        "3.8",
        [PYTEST5, "python-toolbox==1.0.10", "decorator==4.4.2"],
    ),
    "cookiecutter": (
        "cookiecutter/cookiecutter",
        "3.6",
        [
            PYTEST5,
            "pytest-mock==3.1.1",
            "pytest-cov==2.9.0",  # setup.cfg's addopts ask for --cov
            "coverage==5.1",
            "freezegun==0.3.15",
            "binaryornot==0.4.4",
            "Jinja2==2.11.2",
            "MarkupSafe==1.1.1",
            "click==7.1.2",
            "poyo==0.5.0",
            "jinja2-time==0.2.0",
            "python-slugify==4.0.0",
            "requests==2.23.0",
            "future==0.18.2",
            "whichcraft==0.6.1",
        ],
    ),
    "httpie": (
        "httpie/cli",
        "3.7",
        [
            "pytest==5.4.2",
            "pytest-httpbin==1.0.0",
            "httpbin==0.7.0",
            "Flask==1.1.2",
            "Werkzeug==1.0.1",
            "Jinja2==2.11.2",
            "MarkupSafe==1.1.1",
            "itsdangerous==1.1.0",
            "click==7.1.2",
            "requests==2.23.0",
            "Pygments==2.6.1",
            "mock==4.0.2",
            "brotlipy==0.7.0",
            "decorator==4.4.2",
            "six==1.15.0",
        ],
    ),
    "luigi": (
        "spotify/luigi",
        "3.8",
        [
            PYTEST5,
            "tornado==5.1.1",
            "python-daemon==2.1.2",
            "python-dateutil==2.8.1",
            "mock==4.0.2",
            "psutil==5.7.0",
            "requests==2.23.0",
            "six==1.15.0",
            "boto==2.49.0",
            "nose==1.3.7",
            "hdfs==2.5.8",
            "SQLAlchemy==1.3.17",
            "toml==0.10.1",
            "docutils==0.16",
        ],
    ),
}

# Projects whose bugs differ in their pins: these packages' versions come from each bug's
# requirements.txt (BugsInPy's pip freeze; clean for these projects), the rest is dropped.
PICK: dict[str, tuple[str, set[str]]] = {
    "fastapi": (
        "3.8",
        {
            "aiofiles",
            "async-exit-stack",
            "async-generator",
            "databases",
            "email-validator",
            "orjson",
            "pydantic",
            "pytest",
            "python-multipart",
            "requests",
            "sqlalchemy",
            "starlette",
            "ujson",
        },
    ),
}
REPOS = {"fastapi": "fastapi/fastapi"}


def picked_deps(requirements: bytes, names: set[str]) -> list[str]:
    text = (
        requirements.decode("utf-16")
        if requirements[:2] in (b"\xff\xfe", b"\xfe\xff")
        else (requirements.decode("utf-8", errors="replace"))
    )
    out = []
    for line in text.replace("\r", "").splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and name.lower() in names:
            out.append(f"{name}=={version}")
    return out


def parse_info(text: str) -> dict[str, str]:
    return dict(re.findall(r'^(\w+)="([^"]*)"', text, flags=re.M))


def failing_tests(run_test: str) -> list[str]:
    """Node ids from run_test.sh lines like `pytest -q tests/a.py::t` or `tox tests/a.py::t`."""
    out = []
    for line in run_test.replace(";", "\n").splitlines():
        words = shlex.split(line.strip()) if line.strip() else []
        out += [w for w in words if "::" in w or w.endswith(".py")]
    return out


def patch_files(patch: str) -> list[str]:
    return sorted({m for m in re.findall(r"^diff --git a/(\S+) b/", patch, flags=re.M)})


def collect(mirror_root: Path, project: str) -> list[Bug]:
    if project in PICK:
        repo, (python, pick), deps = REPOS[project], PICK[project], []
    else:
        repo, python, deps = PROJECTS[project]
    gdir = mirrors.git_dir(mirror_root, BUGSINPY)
    meta = mirrors.git(gdir, "rev-parse", "HEAD").decode().strip()
    base = f"projects/{project}/bugs"
    nums = sorted(
        {
            int(p.split("/")[3])
            for p in mirrors.git(gdir, "ls-tree", "-r", "--name-only", meta, base).decode().split()
        },
    )
    bugs = []
    for n in nums:

        def read(name: str, n: int = n) -> str:
            return mirrors.show(mirror_root, BUGSINPY, meta, f"{base}/{n}/{name}").decode(
                "utf-8", errors="replace"
            )

        info = parse_info(read("bug.info"))
        if project in PICK:
            reqs = mirrors.show(mirror_root, BUGSINPY, meta, f"{base}/{n}/requirements.txt")
            deps = picked_deps(reqs, pick)
        tests = failing_tests(read("run_test.sh"))
        test_files = [t for t in info.get("test_file", "").split(";") if t]
        changed = [p for p in patch_files(read("bug_patch.txt")) if not is_test_file(p)]
        skip = ""
        for commit in (info["buggy_commit_id"], info["fixed_commit_id"]):
            if not mirrors.has_commit(mirror_root, repo, commit):
                skip = f"commit {commit[:10]} is not in the {repo} mirror"
        if not changed:
            skip = skip or "the developer patch changes no source file"
        bugs.append(
            Bug(
                id=f"{project.lower()}-{n}",
                source="bugsinpy",
                kind="repo",
                origin={
                    "repo": repo,
                    "buggy": info["buggy_commit_id"],
                    "fixed": info["fixed_commit_id"],
                    "test_files": test_files,
                    "metadata": f"{BUGSINPY}@{meta[:12]}:{base}/{n}",
                    "bugsinpy_python": info.get("python_version", ""),
                },
                python=python,
                deps=deps,
                test_cmd="{python} -m pytest -q " + " ".join(test_files),
                failing_tests=[t.split(" ")[0] for t in tests if "::" in t],
                changed_files=changed,
                skip=skip,
            )
        )
    return bugs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--projects", default=",".join([*PROJECTS, *PICK]))
    args = ap.parse_args()
    for project in args.projects.split(","):
        if project.lower() in HELD_OUT:
            raise SystemExit(f"{project} is held out for independent evaluation")
        bugs = collect(args.mirrors, project)
        out = MANIFESTS / f"bugsinpy-{project.lower()}.jsonl"
        write_manifest(out, bugs)
        print(f"{project}: {len(bugs)} bugs -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
