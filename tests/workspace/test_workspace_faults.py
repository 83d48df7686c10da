"""Fault injection: SIGKILL at random points of --apply and --branch (50 trials each).

Each trial drives the write-back function in a subprocess on a prepared snapshot and kills it at a
random moment. Afterwards (and after the recovery every treefix start performs) the working tree
equals the snapshot or the snapshot plus the whole fix, never a mix; index and HEAD never change
for --branch; the snapshot ref is always there.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import git, init_repo, write_tree
from treefix.workspace.apply import recover_pending
from treefix.workspace.gitrepo import GitRepo

TRIALS = 50  # per mode
FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "def f(x):\n    return x - 1\n",
    "pkg/b.py": "def g(x):\n    return x * 3\n",
    "pkg/c.py": "def h(x):\n    return x // 2\n",
    "notes.txt": "keep me\n",
}
FIX = {"pkg/a.py": ("x - 1", "x + 1"), "pkg/b.py": ("x * 3", "x * 2"), "pkg/c.py": ("x // 2", "x / 2")}

DRIVER = r"""
import sys, time
from treefix.types import Edit, ProgramState
from treefix.workspace.gitrepo import GitRepo
from treefix.workspace.snapshot import snapshot
from treefix.workspace import apply, writeback

mode, root, snap_commit, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
fix = eval(sys.argv[5])
project = snapshot(root)
edits = []
for path, (old, new) in fix.items():
    i = project.sources[path].index(old.encode())
    edits.append(Edit(path, i, i + len(old), new))
state = ProgramState(project.sources).derive(edits)
# the kill is random; pausing at each step spreads the steps over a window it can land in. No
# pause between the renames: in a real run they are back to back (microseconds).
pause = lambda step: step != "renamed" and time.sleep(delay)
print("ready", flush=True)
if mode == "apply":
    apply.apply_fix(project, state, _pause=pause)
else:
    repo = GitRepo.find(root)
    from treefix.workspace.gitrepo import Head, Snapshot
    snap = Snapshot("refs/treefix/snapshots/faults", snap_commit, "", Head(None, None))
    writeback.commit_on_branch(project, snap, state, "treefix/fault", "fix\n\nFixed-by: treefix\n")
print("done", flush=True)
"""


def _files(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith(".git/") and "__pycache__" not in rel:
            out[rel] = p.read_text()
    return out


def _fixed() -> dict[str, str]:
    out = dict(FILES)
    for path, (old, new) in FIX.items():
        out[path] = out[path].replace(old, new)
    return out


def _classify(files: dict[str, str]) -> str:
    if files == FILES:
        return "snapshot"
    if files == _fixed():
        return "fixed"
    return "mix"


@pytest.fixture
def repo(tmp_path, monkeypatch) -> tuple[Path, str]:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    root = init_repo(write_tree(tmp_path / "r", FILES))
    (root / ".git/info/exclude").write_text(".treefix/\n")
    snap = GitRepo.find(root).snapshot("faults")
    return root, snap.commit


def _trial(root: Path, mode: str, commit: str, rng: random.Random, window: float) -> float:
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, mode, str(root), commit, "0.01", repr(FIX)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    at = rng.uniform(0, window)
    time.sleep(at)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return at


def _window(root: Path, mode: str, commit: str) -> float:
    """How long the write-back takes when not killed (then undone for the trials)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, mode, str(root), commit, "0.01", repr(FIX)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    proc.stdout.readline()
    t0 = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "done" in out, err
    return (time.monotonic() - t0) * 1.3


def _reset(root: Path) -> None:
    write_tree(root, FILES)
    git(root, "update-ref", "-d", "refs/heads/treefix/fault")


def test_sigkill_during_apply_never_leaves_a_mix(repo):
    root, commit = repo
    window = _window(root, "apply", commit)
    assert _classify(_files(root)) == "fixed"
    rng = random.Random(5)
    seen: dict[str, int] = {}
    for _ in range(TRIALS):
        _reset(root)
        _trial(root, "apply", commit, rng, window)
        on_disk = {k: v for k, v in _files(root).items() if not k.startswith(".treefix/")}
        raw = _classify(on_disk)
        # right after the kill, before any recovery: every file whole, old or new (never torn)
        assert all(on_disk[p] in (FILES[p], _fixed()[p]) for p in FILES), on_disk
        recover_pending(root)  # what the next treefix run on the project does first
        after = _files(root)
        state = _classify(after)
        seen[f"{raw}->{state}"] = seen.get(f"{raw}->{state}", 0) + 1
        assert state in ("snapshot", "fixed"), f"raw {raw}: {after}"
        assert not any(k.startswith(".treefix/") for k in after), after
        assert git(root, "rev-parse", "refs/treefix/snapshots/faults").strip() == commit
    print(f"\n--apply: {TRIALS} SIGKILL trials in a {window * 1000:.0f} ms window: {seen}")
    assert len({k.split("->")[1] for k in seen}) == 2, "kills landed both before and after the commit point"


def test_sigkill_during_branch_never_touches_the_tree(repo):
    root, commit = repo
    index = hashlib.sha256((root / ".git/index").read_bytes()).hexdigest()
    head = git(root, "rev-parse", "HEAD")
    window = _window(root, "branch", commit)
    rng = random.Random(7)
    created = 0
    for _ in range(TRIALS):
        _reset(root)
        _trial(root, "branch", commit, rng, window)
        time.sleep(0.05)  # a git child of the killed driver may still be finishing its update-ref
        assert _classify(_files(root)) == "snapshot"
        assert hashlib.sha256((root / ".git/index").read_bytes()).hexdigest() == index
        assert git(root, "rev-parse", "HEAD") == head
        assert git(root, "rev-parse", "refs/treefix/snapshots/faults").strip() == commit
        branch = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "refs/heads/treefix/fault"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        if branch:
            created += 1
            assert git(root, "rev-parse", f"{branch}^").strip() == commit
            for path, text in _fixed().items():
                assert git(root, "show", f"{branch}:{path}") == text
        assert not (root / ".git/refs/heads/treefix/fault.lock").exists()
    print(f"\n--branch: {TRIALS} SIGKILL trials in a {window * 1000:.0f} ms window: branch created in {created}")
    assert 0 < created < TRIALS
