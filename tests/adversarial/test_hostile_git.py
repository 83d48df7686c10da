"""Issue 6, part A, cases 11 and 12: symlink escapes (at run time and inside a candidate diff) and
tampering with git. Writes through links stay in the sandbox, a diff through a link is refused at
write-back, and a canary planted through git (hooks, core.fsmonitor, a .gitattributes filter)
never runs on the host, through a whole `treefix repair` and what treefix then does with git on
the host (snapshot, write-back)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial.conftest import (
    HOSTILE,
    assert_files_unchanged,
    assert_still_healthy,
    hostile,
    make_project,
    outcomes,
)
from tests.adversarial.host import TAG_VAR, HostState, assert_unchanged, tagged_processes
from tests.adversarial.test_hostile_escape import require_isolation
from tests.conftest import BUGGY, init_repo
from treefix.errors import SandboxError, WriteBackRefused
from treefix.types import ProgramState, Status
from treefix.workspace.apply import apply_fix, check_paths
from treefix.workspace.snapshot import snapshot

TREEFIX = str(Path(sys.executable).with_name("treefix"))
BUGGY_TESTS = [ln for ln in BUGGY["tests/test_cart.py"].splitlines() if ln.startswith("def test_")]


# -- 11. symlink escape ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    """A git repo with an in-tree symlink (alias.py -> core.py) and one leaving the tree; a host
    folder and file outside it that links point at."""
    base = tmp_path_factory.mktemp("linked")
    outside = base / "outside"
    outside.mkdir()
    (outside / "target.py").write_text("OUTSIDE = 1\n")
    root = base / "repo"
    make_project(
        root,
        {
            "calc/__init__.py": "",
            "calc/core.py": "def add(a, b):\n    return a + b\n",
            "tests/test_core.py": "from calc.core import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
            HOSTILE: "def test_hostile():\n    pass\n",
        },
    )
    os.symlink("core.py", root / "calc" / "alias.py")
    os.symlink(outside / "target.py", root / "calc" / "escape.py")
    init_repo(root)
    return root, outside


def test_symlinks_made_at_run_time_keep_writes_in_the_sandbox(backends, calc, box, linked):
    require_isolation(backends, box, "filesystem")
    root, outside = linked
    before, outside_before = HostState.capture(root), HostState.capture(outside)
    runner = backends.runner(calc)
    rep = runner.run(
        box,
        hostile(
            f"""\
            import os

            def escape(link, target, name):
                try:
                    os.symlink(target, link)
                except OSError:
                    pass
                with open(os.path.join(link, name) if name else link, "w") as fh:
                    fh.write("written through a link\\n")

            def test_link_to_a_host_folder():
                escape("to-outside", {str(outside)!r}, "planted.py")
                assert False, "wrote through a link to a host folder"

            def test_link_to_a_host_file():
                escape("to-target.py", {str(outside / "target.py")!r}, "")
                assert False, "wrote through a link to a host file"

            def test_link_to_the_users_repo():
                escape("to-repo", {str(root)!r}, "calc/core.py")
                assert False, "wrote the user's file through a link"

            def test_relative_link_upwards():
                escape("up", "../../../../../../..", "treefix-planted-{secrets.token_hex(3)}")
                assert False, "wrote through a relative link to /"
            """
        ),
        [HOSTILE],
        timeout=30,
    )
    assert rep.status is Status.FAILED, (rep.status, rep.detail, rep.output[-1000:])
    assert set(outcomes(rep).values()) == {"failed"}, {k: t.message for k, t in rep.tests.items()}
    for t in rep.tests.values():  # every write was refused, none "succeeded"
        assert t.exc_type in ("OSError", "PermissionError", "FileNotFoundError"), t.message
    assert_files_unchanged(before, root)
    assert_files_unchanged(outside_before, outside)
    assert_still_healthy(runner, box)


def test_a_candidate_diff_through_a_symlink_is_refused(backends, linked):
    root, outside = linked
    project = snapshot(root)
    # the in-tree link is followed by the snapshot; the one leaving the tree is not part of it
    assert "calc/alias.py" in project.files and "calc/escape.py" not in project.files
    before, outside_before = HostState.capture(root), HostState.capture(outside)
    box = backends.open(project, label="links")
    # in the sandbox: a path outside the project's files never gets written
    for name in ("calc/escape.py", "../outside/target.py", "/etc/passwd", ".git/hooks/pre-commit"):
        with pytest.raises(SandboxError):
            box.execute({name: b"owned = 1\n"}, _true())
    # a diff to the in-tree link runs in the sandbox (a copy, not a link there) ...
    res = box.execute({"calc/alias.py": b"def add(a, b):\n    return 0\n"}, _true())
    assert res.exit_code == 0
    # ... and is refused at write-back, as is any path through .git or out of the project
    for name in ("calc/alias.py", "calc/escape.py", "../outside/target.py", ".git/config"):
        with pytest.raises(WriteBackRefused):
            check_paths(project, [name])
    state = ProgramState(project.sources).derive([])
    state.overlay["calc/alias.py"] = b"def add(a, b):\n    return 0\n"
    with pytest.raises(WriteBackRefused, match="symlink"):
        apply_fix(project, state)
    assert_files_unchanged(before, root)
    assert_files_unchanged(outside_before, outside)
    assert (root / "calc" / "core.py").read_text() == "def add(a, b):\n    return a + b\n"


def _true():
    from treefix.protocols import ExecRequest

    return ExecRequest(["true"], {}, 20)


# -- 12. tampering with git -----------------------------------------------------------------------
HOOKS = (
    "pre-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "post-checkout",
    "post-index-change",
    "reference-transaction",
    "pre-auto-gc",
)

TAMPER = """\
import os
import shutil
import stat

CANARY = {canary!r}
HOST_REPO = {repo!r}

def plant(top):
    git = os.path.join(top, ".git")
    try:
        hooks = os.path.join(git, "hooks")
        os.makedirs(hooks, exist_ok=True)
        for name in {hooks!r}:
            path = os.path.join(hooks, name)
            with open(path, "w") as fh:
                fh.write("#!/bin/sh\\n" + CANARY + " " + name + "\\n")
            os.chmod(path, 0o755)
        with open(os.path.join(git, "config"), "a") as fh:
            fh.write(
                "[core]\\n\\tfsmonitor = " + CANARY + "\\n\\thooksPath = " + hooks + "\\n"
                '[filter "evil"]\\n\\tclean = ' + CANARY + "\\n\\tsmudge = " + CANARY + "\\n"
                "\\trequired = true\\n"
            )
        with open(os.path.join(top, ".gitattributes"), "a") as fh:
            fh.write("* filter=evil\\n")
    except OSError:
        pass

# at import, in every run treefix makes: plant in the sandbox's copy and, by absolute path, in
# the user's repository; then remove .git both ways
plant(".")
plant(HOST_REPO)
shutil.rmtree(".git", ignore_errors=True)
shutil.rmtree(os.path.join(HOST_REPO, ".git"), ignore_errors=True)

def test_tamper_is_collected():
    assert True
"""


@pytest.fixture
def tampering_repo(tmp_path):
    """BUGGY (two failing targets, fixable by one mutation) plus a test module that tampers with
    git at import, and a canary script that records every time it runs."""
    fired = tmp_path / "canary-fired"
    canary = tmp_path / "canary.sh"
    canary.write_text(f'#!/bin/sh\necho "$0 $*" >> {fired}\ncat >/dev/null 2>&1 || true\n')
    canary.chmod(0o755)
    root = tmp_path / "repo"
    files = dict(BUGGY)
    files["tests/test_tamper.py"] = TAMPER.format(canary=str(canary), repo=str(root), hooks=HOOKS)
    make_project(root, files)
    init_repo(root)
    return root, fired


def _containers_of(run_id: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=treefix.run={run_id}"],
        capture_output=True,
        text=True,
    )
    return out.stdout.split()


def _git_state(root: Path) -> dict[str, str]:
    git = root / ".git"
    hooks = sorted(p.name for p in (git / "hooks").iterdir() if not p.name.endswith(".sample"))
    return {"config": (git / "config").read_text(), "hooks": ",".join(hooks)}


def test_git_tampering_never_runs_a_canary_on_the_host(backends, tampering_repo, request):
    root, fired = tampering_repo
    box_probe = backends.open(snapshot(root), label="probe")  # the sandbox kind's isolation
    require_isolation(backends, box_probe, "filesystem")
    tag = f"adv12-{secrets.token_hex(4)}"
    before, git_before = HostState.capture(root), _git_state(root)
    argv = [TREEFIX, "repair", str(root), "--sandbox", backends.kind, "--workers", "1"]
    argv += ["--max-evals", "40", "--time-limit", "90", "--seed", "0", "--format", "json"]
    argv += ["--branch", "treefix-fix"]
    if backends.kind == "docker":
        argv += ["--image", backends.image]
    env = {**os.environ, TAG_VAR: tag}
    started = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=180)
    took = time.monotonic() - started
    assert out.returncode == 0, (out.returncode, out.stderr[-3000:])
    report = json.loads(out.stdout)
    run_id = report["run_id"]
    assert report["status"] == "fixed" and report["sandbox"]["kind"] == backends.kind
    # the tampering module was imported (its test collected and passed) in every run
    assert report["baseline"]["tests"] == len(BUGGY_TESTS) + 1
    assert report["baseline"]["passed"] == report["baseline"]["tests"] - len(report["targets"])
    # the candidate's tampering reached neither the repo nor git: no canary, same config, hooks
    assert not fired.exists(), fired.read_text()
    assert _git_state(root) == git_before
    after = HostState.capture(root, tag)
    # the opted-in write-back: one new branch holding the fix, nothing else
    assert "refs/heads/treefix-fix " in after.refs
    after.refs = "\n".join(
        ln for ln in after.refs.splitlines() if not ln.startswith("refs/heads/treefix-fix ")
    )
    after.containers = before.containers  # other modules' sandboxes come and go meanwhile
    assert_unchanged(before, after, check_temp=False)
    assert not [d for d in after.temp_dirs - before.temp_dirs if run_id in d]
    assert not _containers_of(run_id)
    # what treefix does on the host next: the branch's tree, then another snapshot of the repo
    # (git add through a temporary index, as the next run does) and a commit of the fix on the
    # current branch: still no canary
    show = subprocess.run(
        ["git", "-C", str(root), "show", "--stat", "treefix-fix"], capture_output=True, text=True
    )
    assert "shop/cart.py" in show.stdout
    argv2 = [a if a != "--branch" else "--commit" for a in argv if a != "treefix-fix"]
    out2 = subprocess.run(argv2, capture_output=True, text=True, env=env, timeout=180)
    assert out2.returncode == 0, (out2.returncode, out2.stderr[-3000:])
    assert json.loads(out2.stdout)["write_back"]["mode"] == "commit"
    assert not fired.exists(), fired.read_text()
    assert _git_state(root) == git_before
    assert not tagged_processes(tag)
    assert not _containers_of(json.loads(out2.stdout)["run_id"])
    assert took < 120, took
