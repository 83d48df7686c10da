"""Writing a validated fix back: into the working tree (--apply, crash-safe: workspace/apply.py),
onto a new branch (--branch) or as a commit on the current branch (--commit).

--branch and --commit build commits in a temporary index and publish them with one `update-ref`
carrying the expected old value, so they either happen entirely or not at all (the git side lives
in workspace/gitrepo.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from treefix import __version__
from treefix.errors import UsageError, WriteBackRefused
from treefix.types import ProgramState
from treefix.workspace.apply import apply_fix, check_paths, check_unchanged
from treefix.workspace.gitcmd import merge_file
from treefix.workspace.gitrepo import ZERO, GitRepo, Snapshot, check_branch_name
from treefix.workspace.snapshot import Project

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


# -- commits ------------------------------------------------------------------------------------


def commit_message(
    files: list[str], descriptions: list[str], targets: list[str], run_id: str
) -> str:
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


Added = dict[str, bytes]  # files a fix creates (issue mode's kept test): path -> content


def _new_files(
    repo: GitRepo, project: Project, commit: str, prefix: str, added: Added
) -> dict[str, tuple[str, str]]:
    """Index entries for files the fix creates; each must exist neither in commit nor on disk."""
    check_paths(project, sorted(added), new=True)
    files = {}
    for p, data in sorted(added.items()):
        if repo.tree_entry(commit, prefix + p) is not None:
            raise WriteBackRefused(f"not committed: {p} already exists in {commit[:12]}")
        files[prefix + p] = ("100644", repo.hash_blob(prefix + p, data))
    return files


def commit_on_branch(
    project: Project,
    snap: Snapshot,
    state: ProgramState,
    name: str,
    message: str,
    added: Added | None = None,
) -> WriteBackResult:
    """A new branch: the snapshot commit plus one commit with the fix. Tree, index, HEAD untouched."""
    with _repo_for(project, "--branch") as repo:
        return _commit_on_branch(repo, project, snap, state, name, message, added or {})


def _commit_on_branch(
    repo: GitRepo,
    project: Project,
    snap: Snapshot,
    state: ProgramState,
    name: str,
    message: str,
    added: Added,
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
    files.update(_new_files(repo, project, base, prefix, added))
    commit = repo.commit_with(base, files, [base], message)
    repo.publish(ref, commit, ZERO, "treefix: fix branch")
    return WriteBackResult("branch", commit=commit, ref=ref)


def commit_on_current(
    project: Project,
    snap: Snapshot,
    state: ProgramState,
    message: str,
    added: Added | None = None,
) -> WriteBackResult:
    """Commit only the fix on the current branch (or detached HEAD) and write it into the tree.

    The commit is HEAD's tree plus the fixed files (HEAD's version of each with the fix's hunks);
    the user's other staged and unstaged changes stay where they are. The index entries of the fixed
    files are moved to the committed content, so `git status` shows no phantom revert. Files the
    fix creates (added) are committed, written and staged the same way."""
    with _repo_for(project, "--commit") as repo:
        return _commit_on_current(repo, project, snap, state, message, added or {})


def _commit_on_current(
    repo: GitRepo,
    project: Project,
    snap: Snapshot,
    state: ProgramState,
    message: str,
    added: Added,
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
    check_unchanged(project, paths)
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
    new_files = _new_files(repo, project, head.commit, prefix, added)
    commit = repo.commit_with(head.commit, files | new_files, [head.commit], message)
    applied = apply_fix(project, state)
    for p, data in sorted(added.items()):
        target = project.root / p
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as fh:  # never over a file that appeared meanwhile
                fh.write(data)
        except OSError as exc:
            raise WriteBackRefused(f"not committed: {p} could not be written ({exc})") from None
        applied.append(p)
    subject = message.splitlines()[0]
    if head.branch:
        repo.publish(head.branch, commit, head.commit, f"commit: {subject}")
    else:
        repo.publish("HEAD", commit, head.commit, f"commit: {subject}", no_deref=True)
    repo.stage(files)
    if new_files:
        repo.stage(new_files, add_new=True)
    return WriteBackResult("commit", applied=applied, commit=commit, ref=head.branch or "HEAD")


def write_back(
    plan: WriteBackPlan,
    project: Project,
    snap: Snapshot | None,
    state: ProgramState,
    message: str,
    added: Added | None = None,
) -> WriteBackResult:
    """added: files the fix creates, carried by --branch and --commit (--apply's caller writes
    them itself, after the all-or-nothing apply)."""
    if plan.mode == "apply":
        return WriteBackResult("apply", applied=apply_fix(project, state))
    if plan.mode not in ("branch", "commit"):
        return WriteBackResult("patch")
    if snap is None:
        _repo_for(project, f"--{plan.mode}")
        raise WriteBackRefused(f"not written: no snapshot commit was recorded for --{plan.mode}")
    if plan.mode == "branch":
        return commit_on_branch(project, snap, state, plan.branch or "", message, added)
    return commit_on_current(project, snap, state, message, added)
