"""Writing a validated fix back: into the working tree (--apply), onto a new branch (--branch) or
as a commit on the current branch (--commit).

--apply is all-or-nothing and crash-safe. Every target is checked first (still byte-identical to
the snapshot, a regular file inside the project, not in .git or a submodule). The new contents
are written and fsynced to temp files under .treefix/apply/<id>/, then a journal is committed
(written to a temp name and renamed: that rename is the commit point), then each temp file is
renamed over its target. A crash before the commit point leaves the tree as it was and the
leftovers are discarded; a crash after it is rolled forward by the next treefix run on the project
(`recover_pending`), so the tree ends as the snapshot or the snapshot plus the whole fix.

--branch and --commit build commits in a temporary index and publish them with one `update-ref`
carrying the expected old value, so they either happen entirely or not at all (the git side lives
in workspace/gitrepo.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from treefix.errors import UsageError, WriteBackRefused
from treefix.types import ProgramState
from treefix.workspace.gitrepo import ZERO, GitRepo, Snapshot, check_branch_name, merge_file
from treefix.workspace.snapshot import Project

APPLY_DIR = ".treefix/apply"
MODES = ("patch", "apply", "branch", "commit")



@dataclass
class WriteBackPlan:
    mode: str = "patch"  # patch | apply | branch | commit
    branch: str | None = None
    message_extra: list[str] = field(default_factory=list)

    @classmethod
    def from_flags(cls, apply: bool, branch: str | None, commit: bool) -> WriteBackPlan:
        chosen = [
            n for n, on in (("--apply", apply), ("--branch", branch), ("--commit", commit)) if on
        ]
        if len(chosen) > 1:
            raise UsageError(f"{' and '.join(chosen)} cannot be combined: pick one write-back mode")
        if branch is not None:
            return cls("branch", branch)
        return cls("commit" if commit else "apply" if apply else "patch")


@dataclass
class WriteBackResult:
    mode: str
    applied: list[str] = field(default_factory=list)  # files written into the working tree
    commit: str | None = None
    ref: str | None = None
    error: str | None = None  # why it was refused (the fix stays in fix.patch)

    def as_dict(self) -> dict:
        return {
            "mode": self.mode,
            "applied": self.applied,
            "commit": self.commit,
            "ref": self.ref,
            "error": self.error,
        }


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- which paths a fix may touch ----------------------------------------------------------------


def check_paths(project: Project, paths: list[str]) -> None:
    """Reject fixes touching .git, symlinks, paths outside the project, submodules or nested repos."""
    for path in paths:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise WriteBackRefused(f"not written: {path} lies outside the project")
        if ".git" in pure.parts or ".treefix" in pure.parts[:1]:
            raise WriteBackRefused(f"not written: {path} is inside .git or .treefix")
        if path not in project.sources:
            raise WriteBackRefused(f"not written: {path} was not part of the snapshot")
        target = project.root / path
        if target.is_symlink():
            raise WriteBackRefused(f"not written: {path} is a symlink")
        parent = project.root
        for part in pure.parts[:-1]:
            parent = parent / part
            if parent.is_symlink():
                raise WriteBackRefused(f"not written: {path} goes through a symlinked folder")
            if (parent / ".git").exists():
                raise WriteBackRefused(
                    f"not written: {path} is inside a submodule or nested repository"
                )
        if not target.resolve().is_relative_to(project.root):
            raise WriteBackRefused(f"not written: {path} leaves the project")


def _check_unchanged(project: Project, paths: list[str]) -> None:
    stale = [p for p in paths if not project.current_matches(p)]
    if stale:
        raise WriteBackRefused(
            f"not applied: {', '.join(stale)} changed since treefix read it; the fix is kept in fix.patch"
        )


# -- --apply ------------------------------------------------------------------------------------


def apply_fix(project: Project, state: ProgramState, *, _pause=None) -> list[str]:
    """Write the fix into the working tree, all files or none. `_pause(step)` is a test hook."""
    recover_pending(project.root)
    changed = state.changed()
    paths = sorted(changed)
    check_paths(project, paths)
    _check_unchanged(project, paths)
    pause = _pause or (lambda step: None)
    stage = project.root / APPLY_DIR / (secrets.token_hex(6))
    stage.mkdir(parents=True)
    entries = []
    try:
        for i, path in enumerate(paths):
            target = project.root / path
            tmp = stage / str(i)
            if os.stat(stage).st_dev != os.stat(target.parent).st_dev:
                tmp = target.parent / f".{target.name}.treefix-{stage.name}"
            mode = target.stat().st_mode & 0o7777
            with open(tmp, "xb") as fh:
                fh.write(changed[path])
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            entries.append(
                {
                    "path": path,
                    "tmp": os.path.relpath(tmp, project.root),
                    "old": _sha(project.sources[path]),
                    "new": _sha(changed[path]),
                }
            )
            pause("staged")
        _check_unchanged(project, paths)  # once more, right before the commit point
        journal = stage / "journal.json"
        pending = stage / "journal.json.tmp"
        with open(pending, "w") as fh:
            json.dump({"entries": entries}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        pause("journal")
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        for e in entries:
            Path(project.root / e["tmp"]).unlink(missing_ok=True)
        _prune_empty(project.root)
        raise
    os.replace(pending, journal)  # the commit point
    _fsync_dir(stage)
    pause("committed")
    _roll_forward(project.root, stage, entries, pause)
    return paths


def _roll_forward(root: Path, stage: Path, entries: list[dict], pause=None) -> None:
    # The renames run back to back (microseconds for a typical fix) and the folders are synced
    # afterwards, so a kill almost never lands between two renames; if it does, the journal is
    # still there and the next run completes the set.
    moved = []
    for e in entries:
        tmp = root / e["tmp"]
        if tmp.exists():
            os.replace(tmp, root / e["path"])
            moved.append((root / e["path"]).parent)
            if pause:  # tests only: lets a crash land between two renames
                pause("renamed")
    for folder in dict.fromkeys(moved):
        _fsync_dir(folder)
    shutil.rmtree(stage, ignore_errors=True)
    _prune_empty(root)


def _prune_empty(root: Path) -> None:
    for d in (root / APPLY_DIR, root / ".treefix"):
        try:
            d.rmdir()  # only when empty
        except OSError:
            return


def recover_pending(path: str | os.PathLike[str]) -> list[str]:
    """Finish (or discard) an --apply that was interrupted. Returns the paths completed."""
    root = Path(path)
    base = root / APPLY_DIR
    if not base.is_dir():
        return []
    done: list[str] = []
    for stage in sorted(base.iterdir()):
        journal = stage / "journal.json"
        if not journal.exists():  # crashed before the commit point: nothing was written
            shutil.rmtree(stage, ignore_errors=True)
            continue
        entries = json.loads(journal.read_text())["entries"]
        for e in entries:
            tmp, target = root / e["tmp"], root / e["path"]
            if not tmp.exists():
                continue
            try:
                current = _sha(target.read_bytes())
            except OSError:
                current = None
            if current == e["new"]:
                tmp.unlink()
            elif current != e["old"]:
                raise WriteBackRefused(
                    f"an interrupted --apply could not be finished: {e['path']} changed meanwhile; "
                    f"the fixed content is in {tmp} (remove {stage} when done)"
                )
        _roll_forward(root, stage, entries)
        done.extend(e["path"] for e in entries)
    _prune_empty(root)
    return done


# -- commits ------------------------------------------------------------------------------------


def commit_message(
    files: list[str], descriptions: list[str], targets: list[str], run_id: str
) -> str:
    from treefix import __version__

    subject = f"treefix: fix failing tests in {', '.join(files[:3])}" + (
        " ..." if len(files) > 3 else ""
    )
    body = [f"- {d}" for d in descriptions]
    if targets:
        body += ["", "Tests that failed and now pass:"] + [f"- {t}" for t in targets[:20]]
    body += ["", f"treefix run {run_id}; validated on the full test suite."]
    return subject + "\n\n" + "\n".join(body) + f"\n\nFixed-by: treefix {__version__}\n"


def _repo_for(project: Project, what: str) -> GitRepo:
    repo = GitRepo.of(project)
    if repo is None:
        raise UsageError(
            f"{what} needs a git repository and {project.root} is not in one; use --apply to write the files"
        )
    return repo


def preflight(plan: WriteBackPlan, path: str) -> None:
    """Refuse an impossible write-back before spending minutes searching."""
    if plan.mode not in ("branch", "commit"):
        return
    what = "--branch" if plan.mode == "branch" else "--commit"
    repo = GitRepo.find(path)
    if repo is None:
        raise UsageError(
            f"{what} needs a git repository and {path} is not in one; use --apply to write the files"
        )
    repo.refuse_if_busy()
    if plan.mode == "branch":
        check_branch_name(repo, plan.branch or "")
    elif repo.head().commit is None:
        raise UsageError(
            f"--commit: {repo.head().describe} has nothing to put the fix on; use --branch NAME or --apply"
        )


def commit_on_branch(
    project: Project, snap: Snapshot, state: ProgramState, name: str, message: str
) -> WriteBackResult:
    """A new branch: the snapshot commit plus one commit with the fix. Tree, index, HEAD untouched."""
    with _repo_for(project, "--branch") as repo:
        return _commit_on_branch(repo, project, snap, state, name, message)


def _commit_on_branch(
    repo: GitRepo, project: Project, snap: Snapshot, state: ProgramState, name: str, message: str
) -> WriteBackResult:
    ref = check_branch_name(repo, name)
    changed = state.changed()
    paths = sorted(changed)
    check_paths(project, paths)
    prefix = repo.prefix_of(project.root)
    files = {}
    for p in paths:
        entry = repo.tree_entry(snap.commit, prefix + p)
        if entry is None or entry[0] not in ("100644", "100755"):
            raise WriteBackRefused(f"not committed: {p} is not a regular file in the snapshot")
        files[prefix + p] = (entry[0], repo.hash_blob(prefix + p, changed[p]))
    base = snap.commit
    if snap.head.commit and snap.tree and repo.tree_of(snap.head.commit) == snap.tree:
        base = snap.head.commit  # a clean tree: no need for the snapshot commit on the branch
    commit = repo.commit_with(base, files, [base], message)
    repo.publish(ref, commit, ZERO, "treefix: fix branch")
    return WriteBackResult("branch", commit=commit, ref=ref)


def commit_on_current(
    project: Project, snap: Snapshot, state: ProgramState, message: str
) -> WriteBackResult:
    """Commit only the fix on the current branch (or detached HEAD) and write it into the tree.

    The commit is HEAD's tree plus the fixed files (HEAD's version of each with the fix's hunks);
    the user's other staged and unstaged changes stay where they are. The index entries of the fixed
    files are moved to the committed content, so `git status` shows no phantom revert."""
    with _repo_for(project, "--commit") as repo:
        return _commit_on_current(repo, project, snap, state, message)


def _commit_on_current(
    repo: GitRepo, project: Project, snap: Snapshot, state: ProgramState, message: str
) -> WriteBackResult:
    repo.refuse_if_busy()
    head = repo.head()
    if head.commit is None:
        raise UsageError(
            f"--commit: {head.describe} has nothing to put the fix on; use --branch NAME or --apply"
        )
    if head.commit != snap.head.commit or head.branch != snap.head.branch:
        raise WriteBackRefused(
            "not committed: HEAD moved since treefix read the tree; the fix is kept in fix.patch"
        )
    changed = state.changed()
    paths = sorted(changed)
    check_paths(project, paths)
    _check_unchanged(project, paths)
    prefix = repo.prefix_of(project.root)
    repo_paths = [prefix + p for p in paths]
    dirty = repo.staged_paths(head.commit, repo_paths)
    if dirty:
        raise WriteBackRefused(
            f"not committed: {', '.join(dirty)} has staged changes that differ from HEAD, and --commit "
            "commits only the fix; commit or unstage them first, or use --branch/--apply (the fix is kept in fix.patch)"
        )
    files = {}
    for p, rp in zip(paths, repo_paths, strict=True):
        entry = repo.tree_entry(head.commit, rp)
        if entry is None or entry[0] not in ("100644", "100755"):
            raise WriteBackRefused(
                f"not committed: {p} is not a committed regular file; use --branch or --apply"
            )
        at_head = repo.cat_blob(entry[1])
        # compared as git stores it: under core.autocrlf or an eol attribute the tree holds CRLF
        # while HEAD's blob holds LF, and that file is unchanged, not a conflict
        unchanged = at_head == project.sources[p] or (
            repo.hash_blob(rp, project.sources[p]) == entry[1]
        )
        new = changed[p] if unchanged else merge_file(project.sources[p], changed[p], at_head)
        if new is None:
            raise WriteBackRefused(
                f"not committed: the fix overlaps uncommitted changes in {p}; use --apply or --branch"
            )
        files[rp] = (entry[0], repo.hash_blob(rp, new))
    commit = repo.commit_with(head.commit, files, [head.commit], message)
    applied = apply_fix(project, state)
    subject = message.splitlines()[0]
    if head.branch:
        repo.publish(head.branch, commit, head.commit, f"commit: {subject}")
    else:
        repo.publish("HEAD", commit, head.commit, f"commit: {subject}", no_deref=True)
    repo.stage(files)
    return WriteBackResult("commit", applied=applied, commit=commit, ref=head.branch or "HEAD")


def write_back(
    plan: WriteBackPlan,
    project: Project,
    snap: Snapshot | None,
    state: ProgramState,
    message: str,
) -> WriteBackResult:
    if plan.mode == "apply":
        return WriteBackResult("apply", applied=apply_fix(project, state))
    if plan.mode in ("branch", "commit") and snap is None:
        _repo_for(project, f"--{plan.mode}")
        raise WriteBackRefused(f"not written: no snapshot commit was recorded for --{plan.mode}")
    if plan.mode == "branch":
        return commit_on_branch(project, snap, state, plan.branch or "", message)
    if plan.mode == "commit":
        return commit_on_current(project, snap, state, message)
    return WriteBackResult("patch")
