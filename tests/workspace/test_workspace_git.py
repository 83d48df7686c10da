"""Git snapshot and write-back on real repositories: staged, unstaged, untracked, ignored files."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, init_repo, write_tree
from treefix.errors import GitError, RepoBusy, UsageError, WriteBackRefused
from treefix.types import Edit, ProgramState
from treefix.workspace.apply import apply_fix, check_paths, recover_pending
from treefix.workspace.gitcmd import clone
from treefix.workspace.gitrepo import GitRepo, check_branch_name
from treefix.workspace.snapshot import snapshot
from treefix.workspace.writeback import commit_message, commit_on_branch, commit_on_current

FILES = {
    ".gitignore": "*.log\nbuild/\n",
    "calc.py": "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n",
    "other.py": "X = 1\n",
    "both.py": "B = 1\n",
}


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def _messy_repo(root: Path) -> Path:
    """Every kind of user state at once."""
    init_repo(write_tree(root, FILES))
    (root / "other.py").write_text("X = 2  # staged\n")
    git(root, "add", "other.py")
    (root / "both.py").write_text("B = 2  # staged\n")
    git(root, "add", "both.py")
    (root / "both.py").write_text("B = 3  # staged, then modified again\n")
    (root / "calc.py").write_text(FILES["calc.py"] + "\n\n# unstaged note\n")
    (root / "new_untracked.py").write_text("U = 1\n")
    (root / "debug.log").write_text("ignored\n")
    (root / "build").mkdir()
    (root / "build" / "out.txt").write_text("ignored too\n")
    return root


def _fix(project) -> ProgramState:
    src = project.sources["calc.py"]
    i = src.index(b"a - b")
    return ProgramState(project.sources).derive([Edit("calc.py", i, i + 5, "a + b")])


def _digest(root: Path, with_git_state: bool = True) -> dict[str, str]:
    """Working tree files (incl. ignored) plus the index and HEAD, not objects or treefix refs."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if not p.is_file() or rel.startswith((".treefix/", ".git/")):
            continue
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    if with_git_state:
        out[".git/index"] = hashlib.sha256((root / ".git/index").read_bytes()).hexdigest()
        out[".git/HEAD"] = (root / ".git/HEAD").read_text()
        out["HEAD"] = git(root, "rev-parse", "HEAD")
        out["refs/heads"] = git(root, "for-each-ref", "refs/heads")
        out["status"] = git(root, "status", "--porcelain", "--ignored")
    return out


def test_snapshot_records_the_working_tree_in_a_private_ref_and_touches_nothing(tmp_path):
    root = _messy_repo(tmp_path / "r")
    before = _digest(root)
    repo = GitRepo.find(root)
    snap = repo.snapshot("run-1")
    assert _digest(root) == before
    assert snap.ref == "refs/treefix/snapshots/run-1"
    assert git(root, "rev-parse", snap.ref).strip() == snap.commit
    assert git(root, "rev-parse", f"{snap.commit}^").strip() == git(root, "rev-parse", "HEAD").strip()
    show = lambda p: git(root, "show", f"{snap.ref}:{p}")  # noqa: E731
    assert show("calc.py").endswith("# unstaged note\n")
    assert show("other.py") == "X = 2  # staged\n"
    assert show("both.py") == "B = 3  # staged, then modified again\n"
    assert show("new_untracked.py") == "U = 1\n"
    files = git(root, "ls-tree", "-r", "--name-only", snap.ref).split()
    assert "debug.log" not in files and "build/out.txt" not in files


def test_snapshot_of_an_unborn_branch_is_a_root_commit(tmp_path):
    root = write_tree(tmp_path / "r", {"a.py": "A = 1\n"})
    git(root, "init", "-q", "-b", "main")
    repo = GitRepo.find(root)
    snap = repo.snapshot("run-2")
    assert snap.head.commit is None and snap.head.branch == "refs/heads/main"
    assert git(root, "show", f"{snap.ref}:a.py") == "A = 1\n"
    assert git(root, "rev-list", "--parents", "-n1", snap.ref).split()[1:] == []
    assert not (root / ".git/index").exists()  # the user's (absent) index was not created


def test_branch_commits_the_fix_on_the_snapshot_without_touching_tree_index_or_head(tmp_path):
    root = _messy_repo(tmp_path / "r")
    project = snapshot(root)
    repo = GitRepo.find(root)
    snap = repo.snapshot("run-3")
    before = _digest(root)
    heads_before = git(root, "for-each-ref", "refs/heads")
    msg = commit_message(["calc.py"], ["- -> +"], ["t::test_add"], "run-3")
    result = commit_on_branch(project, snap, _fix(project), "treefix/fix", msg)
    after = _digest(root)
    assert {k for k in after if after[k] != before.get(k)} == {"refs/heads"}
    assert git(root, "for-each-ref", "refs/heads") != heads_before
    assert result.ref == "refs/heads/treefix/fix"
    assert git(root, "rev-parse", "treefix/fix^").strip() == snap.commit
    diff = git(root, "diff", snap.commit, "treefix/fix")
    assert "-    return a - b" in diff and "+    return a + b" in diff
    assert git(root, "diff", "--stat", snap.commit, "treefix/fix").count("|") == 1
    body = git(root, "log", "-1", "--format=%B", "treefix/fix")
    assert body.rstrip().endswith("Fixed-by: treefix 0.1.0")
    trailers = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=body, capture_output=True, text=True, cwd=root
    ).stdout
    assert "Fixed-by: treefix 0.1.0" in trailers
    with pytest.raises(UsageError, match="already exists"):
        check_branch_name(repo, "treefix/fix")
    with pytest.raises(UsageError, match="not a valid branch name"):
        check_branch_name(repo, "bad..name")


def test_commit_puts_only_the_fix_on_the_current_branch(tmp_path):
    root = _messy_repo(tmp_path / "r")
    project = snapshot(root)
    repo = GitRepo.find(root)
    snap = repo.snapshot("run-4")
    old_head = git(root, "rev-parse", "HEAD").strip()
    msg = commit_message(["calc.py"], ["- -> +"], [], "run-4")
    result = commit_on_current(project, snap, _fix(project), msg)
    assert result.applied == ["calc.py"]
    assert git(root, "rev-parse", "HEAD").strip() == result.commit
    assert git(root, "rev-parse", "HEAD^").strip() == old_head
    assert git(root, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    # the commit holds the fix and nothing else: not the unstaged note, not the staged files
    assert git(root, "diff", "--name-only", "HEAD^", "HEAD").split() == ["calc.py"]
    diff = git(root, "diff", "HEAD^", "HEAD")
    assert "+    return a + b" in diff and "unstaged note" not in diff
    # the working tree has fix + the user's unstaged change; staged work is still staged
    assert (root / "calc.py").read_text() == FILES["calc.py"].replace("a - b", "a + b") + "\n\n# unstaged note\n"
    status = git(root, "status", "--porcelain")
    assert " M calc.py" in status  # the unstaged note, still unstaged; no phantom revert
    assert "M  other.py" in status and "MM both.py" in status and "?? new_untracked.py" in status
    assert git(root, "diff", "--cached", "--name-only").split() == ["both.py", "other.py"]
    assert (root / "debug.log").read_text() == "ignored\n"


def test_commit_refuses_a_fixed_file_with_staged_changes(tmp_path):
    root = _messy_repo(tmp_path / "r")
    (root / "calc.py").write_text(FILES["calc.py"] + "# staged\n")
    git(root, "add", "calc.py")
    project = snapshot(root)
    repo = GitRepo.find(root)
    snap = repo.snapshot("run-5")
    before = _digest(root)
    with pytest.raises(WriteBackRefused, match="calc.py has staged changes that differ from HEAD"):
        commit_on_current(project, snap, _fix(project), "m\n")
    assert _digest(root) == before


def test_commit_on_a_detached_head_moves_only_head(tmp_path):
    root = init_repo(write_tree(tmp_path / "r", FILES))
    git(root, "checkout", "-q", "--detach")
    project = snapshot(root)
    repo = GitRepo.find(root)
    snap = repo.snapshot("run-6")
    main_before = git(root, "rev-parse", "main").strip()
    result = commit_on_current(project, snap, _fix(project), "fix\n\nFixed-by: treefix 0.1.0\n")
    assert result.ref == "HEAD"
    assert git(root, "rev-parse", "HEAD").strip() == result.commit
    assert git(root, "rev-parse", "main").strip() == main_before
    assert git(root, "status", "--porcelain") == ""


def test_a_repo_in_the_middle_of_a_merge_is_refused(tmp_path):
    root = init_repo(write_tree(tmp_path / "r", FILES))
    (root / ".git" / "MERGE_HEAD").write_text(git(root, "rev-parse", "HEAD"))
    with pytest.raises(RepoBusy, match="a merge is in progress .* git merge --abort"):
        GitRepo.find(root).refuse_if_busy()


def test_paths_a_fix_may_not_touch(tmp_path):
    root = init_repo(write_tree(tmp_path / "r", {"a.py": "A = 1\n", "real.py": "R = 1\n"}))
    os.symlink("real.py", root / "link.py")
    sub = write_tree(root / "vendor" / "lib", {"m.py": "M = 1\n"})
    (sub / ".git").write_text("gitdir: elsewhere\n")
    project = snapshot(root)
    project.sources["vendor/lib/m.py"] = b"M = 1\n"  # as if a candidate had edited it
    project.sources[".git/config"] = b""
    for path, words in [
        ("link.py", "symlink"),
        ("vendor/lib/m.py", "submodule"),
        ("../outside.py", "outside"),
        (".git/config", ".git"),
        ("nowhere.py", "not part of the snapshot"),
    ]:
        with pytest.raises(WriteBackRefused, match=words):
            check_paths(project, [path])
    check_paths(project, ["a.py"])


def test_an_interrupted_apply_is_rolled_forward_or_discarded(tmp_path):
    root = write_tree(tmp_path / "p", {"a.py": "A = 1\n", "b.py": "B = 1\n"})
    project = snapshot(root)
    state = ProgramState(project.sources).derive([Edit("a.py", 4, 5, "2"), Edit("b.py", 4, 5, "2")])

    class Crash(BaseException):
        pass

    def crash_after(step_name, count):
        seen = []

        def pause(step):
            seen.append(step)
            if step == step_name and seen.count(step) == count:
                raise Crash

        return pause

    # before the commit point: nothing written, leftovers removed
    with pytest.raises(Crash):
        apply_fix(project, state, _pause=crash_after("journal", 1))
    assert (root / "a.py").read_text() == "A = 1\n" and (root / "b.py").read_text() == "B = 1\n"
    assert not (root / ".treefix").exists()
    # after the first rename: a mix on disk until the next run finishes the job
    with pytest.raises(Crash):
        apply_fix(project, state, _pause=crash_after("renamed", 1))
    assert (root / "a.py").read_text() == "A = 2\n" and (root / "b.py").read_text() == "B = 1\n"
    assert recover_pending(root) == ["a.py", "b.py"]
    assert (root / "a.py").read_text() == "A = 2\n" and (root / "b.py").read_text() == "B = 2\n"
    assert not (root / ".treefix").exists()


def test_old_snapshot_refs_are_pruned_newest_kept(tmp_path):
    root = init_repo(write_tree(tmp_path / "p", {"a.py": "A = 1\n"}))
    repo = GitRepo.find(root)
    ids = [f"20261127-1200{i:02d}-abcd" for i in range(6)]
    snaps = [repo.snapshot(i) for i in ids]
    gone = repo.prune_snapshots(3, snaps[0].ref)  # the current run's ref survives even if oldest
    left = git(root, "for-each-ref", "--format=%(refname)", "refs/treefix/snapshots/").split()
    assert sorted(gone) == [s.ref for s in snaps[1:3]]
    assert sorted(left) == [snaps[0].ref] + [s.ref for s in snaps[3:]]
    assert git(root, "for-each-ref", "refs/heads").count("refs/heads/") == 1


def test_hooks_and_fsmonitor_never_run_and_no_git_process_outlives_a_write_back(tmp_path):
    """The user's hooks and core.fsmonitor are programs: treefix's git calls (GitPython's commands
    and its persistent cat-file alike) run with both disabled, and stop when the write-back ends."""
    root = _messy_repo(tmp_path / "r")
    fired = tmp_path / "fired"
    canary = tmp_path / "canary.sh"
    canary.write_text(f'#!/bin/sh\necho "$0 $*" >> {fired}\n')
    canary.chmod(0o755)
    for hook in ("pre-commit", "post-commit", "reference-transaction", "post-index-change"):
        (root / ".git/hooks" / hook).write_text(f"#!/bin/sh\n{canary} {hook}\n")
        (root / ".git/hooks" / hook).chmod(0o755)
    git(root, "config", "core.fsmonitor", str(canary))
    project = snapshot(root)
    snap = GitRepo.find(root).snapshot("run-7")
    commit_on_branch(project, snap, _fix(project), "treefix/fix", "fix\n")
    result = commit_on_current(project, snap, _fix(project), "fix\n")
    assert git(root, "rev-parse", "HEAD").strip() == result.commit
    assert not fired.exists(), fired.read_text()
    ps = ["ps", "-o", "args=", "--ppid", str(os.getpid())]  # GitPython's cat-file, if left over
    children = subprocess.run(ps, capture_output=True, text=True).stdout.splitlines()
    assert children == ["ps -o args= --ppid " + str(os.getpid())], children


def test_clone_checks_out_the_ref_and_cleans_up_after_a_failure(tmp_path):
    src = init_repo(write_tree(tmp_path / "src", {"a.py": "x = 1\n"}))
    git(src, "checkout", "-q", "-b", "v2")
    (src / "a.py").write_text("x = 2\n")
    git(src, "commit", "-qam", "two")
    git(src, "checkout", "-q", "main")
    clone(str(src), tmp_path / "out" / "v2", "v2")
    assert (tmp_path / "out" / "v2" / "a.py").read_text() == "x = 2\n"
    clone(str(src), tmp_path / "out" / "default", None)
    assert (tmp_path / "out" / "default" / "a.py").read_text() == "x = 1\n"
    with pytest.raises(GitError, match="nope"):
        clone(str(src), tmp_path / "out" / "bad-ref", "nope")
    assert not (tmp_path / "out" / "bad-ref").exists()
    with pytest.raises(GitError):
        clone(str(tmp_path / "no-such-repo"), tmp_path / "out" / "bad-url", None)
    assert not (tmp_path / "out" / "bad-url").exists()
    with pytest.raises(GitError, match="is not a ref"):
        clone(str(src), tmp_path / "out" / "opt", "--upload-pack=touch pwned")
    assert not (tmp_path / "out" / "opt").exists() and not (tmp_path / "pwned").exists()
