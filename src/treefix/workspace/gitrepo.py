"""The user's git repository: every git operation treefix performs, through GitPython (the git
processes themselves start in workspace/gitcmd.py).

GitPython reads HEAD, refs, trees and blobs. Writes go through its command wrapper (`repo.git`):
`add`/`hash-object` apply the user's filters and eol rules, `update-ref` checks the expected old
value under git's own lock (GitPython's ref writes have no such check and a SIGKILL would leave
their .lock behind), and the index may be in a format GitPython cannot read (v4, split).

Every git process runs with hooks and fsmonitor disabled and takes no optional locks. Nothing
here runs stash, reset, checkout, restore or clean: the working tree is never written by git.
Snapshots and commits are built in a temporary index (GIT_INDEX_FILE in a temp dir) and published
by one atomic `update-ref`: a crash leaves at most unreferenced objects behind. GitPython (about
150 ms to import) is imported inside functions only, so `--help` stays instant.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from treefix.errors import GitError, RepoBusy, UsageError
from treefix.workspace.gitcmd import call, make_safe, one_path

if TYPE_CHECKING:
    import git

    from treefix.workspace.snapshot import Project

SNAPSHOT_PREFIX = "refs/treefix/snapshots/"
KEEP_SNAPSHOTS = 50  # newest snapshot refs kept; older ones are deleted when a run starts
ZERO = "0" * 40
TREEFIX_IDENT = {
    "GIT_AUTHOR_NAME": "treefix",
    "GIT_AUTHOR_EMAIL": "treefix@localhost",
    "GIT_COMMITTER_NAME": "treefix",
    "GIT_COMMITTER_EMAIL": "treefix@localhost",
}

# file in the (per-worktree) git dir -> (what is in progress, how to finish or leave it)
IN_PROGRESS = [
    ("MERGE_HEAD", "a merge", "git merge --continue or git merge --abort"),
    ("rebase-merge", "a rebase", "git rebase --continue or git rebase --abort"),
    ("rebase-apply", "a rebase or git am", "git rebase --continue/--abort or git am --abort"),
    ("CHERRY_PICK_HEAD", "a cherry-pick", "git cherry-pick --continue or git cherry-pick --abort"),
    ("REVERT_HEAD", "a revert", "git revert --continue or git revert --abort"),
    ("BISECT_LOG", "a bisect", "git bisect reset"),
]


@dataclass
class Head:
    commit: str | None  # None on an unborn branch
    branch: str | None  # "refs/heads/x"; None when detached

    @property
    def describe(self) -> str:
        if self.branch is None:
            return f"detached HEAD at {self.commit[:12] if self.commit else '?'}"
        name = self.branch.removeprefix("refs/heads/")
        return f"branch {name}" + ("" if self.commit else " (no commits yet)")


@dataclass
class Snapshot:
    ref: str
    commit: str
    tree: str
    head: Head

    def as_dict(self) -> dict:
        return {
            "ref": self.ref,
            "commit": self.commit,
            "tree": self.tree,
            "head_commit": self.head.commit,
            "head_branch": self.head.branch,
        }


# -- one repository ---------------------------------------------------------------------------


class GitRepo:
    def __init__(self, toplevel: Path, git_dir: Path):
        self.toplevel = toplevel
        self.git_dir = git_dir
        self._api: git.Repo | None = None

    @classmethod
    def find(cls, path: str | os.PathLike[str]) -> GitRepo | None:
        """The repository whose working tree holds path, as git itself finds it; None outside
        one, in a bare one or inside .git."""
        toplevel = one_path(Path(path), "--show-toplevel")
        if toplevel is None:
            return None
        git_dir = one_path(Path(path), "--absolute-git-dir")
        return None if git_dir is None else cls(Path(toplevel), Path(git_dir))

    @classmethod
    def of(cls, project: Project) -> GitRepo | None:
        if project.git_dir is None or project.git_toplevel is None:
            return None
        return cls(project.git_toplevel, project.git_dir)

    @property
    def api(self) -> git.Repo:
        """GitPython's Repo, opened on first use; its persistent cat-file runs safe too."""
        if self._api is None:
            import git

            try:
                self._api = git.Repo(str(self.toplevel), expand_vars=False)
            except git.exc.InvalidGitRepositoryError:  # a work tree whose git dir lies elsewhere
                self._api = git.Repo(str(self.git_dir), expand_vars=False)
            make_safe(self._api.git)
        return self._api

    def close(self) -> None:
        """Stop GitPython's persistent cat-file processes, if any were started."""
        if self._api is not None:
            self._api.close()

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(
        self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None, check=True
    ) -> tuple[int, bytes]:
        status, out, err = call(self.toplevel, list(args), env, input)
        if status < 0 or (check and status != 0):
            msg = err.strip().splitlines()
            raise GitError(f"git {args[0]} failed: {msg[-1] if msg else status}")
        return status, out

    def _out(self, *args: str, **kw: Any) -> str:
        return self._run(*args, **kw)[1].decode().strip()

    @contextmanager
    def temp_index(self, seed_from_user_index: bool = False):
        """An environment whose GIT_INDEX_FILE is a private file; the user's index is never written."""
        tmp = tempfile.mkdtemp(prefix="treefix-index-")
        index = os.path.join(tmp, "index")
        try:
            if seed_from_user_index:
                user_index = self.user_index_path()
                if user_index.is_file():
                    shutil.copyfile(user_index, index)
            yield {"GIT_INDEX_FILE": index}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def user_index_path(self) -> Path:
        # git's answer, not GitPython's: it honours GIT_INDEX_FILE (set in a pre-commit hook)
        p = Path(self._out("rev-parse", "--git-path", "index"))
        return p if p.is_absolute() else self.toplevel / p

    # -- state (read through GitPython's refs) --------------------------------------------------

    def head(self) -> Head:
        head = self.api.head
        branch = None if head.is_detached else head.reference.path
        return Head(self._resolve("HEAD"), branch)

    def _resolve(self, ref: str) -> str | None:
        """The commit id ref points to, read from the ref files (no git process), or None."""
        import git

        try:
            return git.SymbolicReference.dereference_recursive(self.api, ref)
        except (ValueError, OSError):
            return None

    def in_progress(self) -> tuple[str, str] | None:
        for name, what, how in IN_PROGRESS:
            if (self.git_dir / name).exists():
                return what, how
        return None

    def refuse_if_busy(self) -> None:
        busy = self.in_progress()
        if busy:
            what, how = busy
            raise RepoBusy(
                f"{what} is in progress in {self.toplevel}: finish or abort it first ({how}), then run treefix again"
            )

    def ref_exists(self, ref: str) -> bool:
        return self._resolve(ref) is not None

    def identity_env(self) -> dict[str, str]:
        """The user's identity when git knows it, treefix's otherwise (commits never fail on it)."""
        env: dict[str, str] = {}
        for role in ("AUTHOR", "COMMITTER"):
            if self._run("var", f"GIT_{role}_IDENT", check=False)[0] != 0:
                env[f"GIT_{role}_NAME"] = TREEFIX_IDENT[f"GIT_{role}_NAME"]
                env[f"GIT_{role}_EMAIL"] = TREEFIX_IDENT[f"GIT_{role}_EMAIL"]
        return env

    def prefix_of(self, root: Path) -> str:
        """The project folder relative to the top level, '' or 'sub/dir/'."""
        rel = root.resolve().relative_to(self.toplevel.resolve()).as_posix()
        return "" if rel == "." else rel + "/"

    # -- snapshot ---------------------------------------------------------------------------

    def snapshot(self, run_id: str) -> Snapshot:
        """Tracked (as in the user's index) plus untracked, not-ignored files, as they are on disk,
        committed through a temporary index into refs/treefix/snapshots/<run-id>."""
        head = self.head()
        with self.temp_index(seed_from_user_index=True) as env:
            self._run("add", "-A", "--ignore-errors", "--", ".", env=env, check=False)
            tree = self._out("write-tree", env=env)
        message = f"treefix snapshot {run_id}\n\nThe working tree as treefix read it."
        args = ["commit-tree", tree, "-m", message]
        if head.commit:
            args[2:2] = ["-p", head.commit]
        commit = self._out(*args, env=TREEFIX_IDENT)
        ref = SNAPSHOT_PREFIX + run_id
        self.publish(ref, commit, ZERO, "treefix snapshot")
        return Snapshot(ref, commit, tree, head)

    def prune_snapshots(self, keep: int, current: str) -> list[str]:
        """Delete all but the `keep` newest snapshot refs (run ids sort by time); never `current`.
        A pre-commit hook makes one per failing commit attempt, so they would pile up."""
        import git

        refs = [r.path for r in git.Reference.iter_items(self.api, common_path=SNAPSHOT_PREFIX)]
        old = [r for r in sorted(refs, reverse=True)[keep:] if r != current]
        for ref in old:
            self.delete_ref(ref)
        return old

    def delete_ref(self, ref: str) -> None:
        self._run("update-ref", "-d", ref, check=False)

    def publish(self, ref: str, new: str, old: str, message: str, no_deref: bool = False) -> None:
        """Point ref at new only if it still points at old (ZERO: did not exist), atomically."""
        flags = ["--no-deref"] if no_deref else []
        self._run("update-ref", *flags, "-m", message, ref, new, old)

    # -- building commits -------------------------------------------------------------------

    def hash_blob(self, path: str, data: bytes) -> str:
        """The blob id of data as git stores it at path (filters, eol rules), written."""
        return self._out("hash-object", "-w", "--stdin", f"--path={path}", input=data)

    def tree_entry(self, treeish: str, path: str) -> tuple[str, str] | None:
        """(mode, blob) of path in treeish, or None."""
        try:
            obj = self.api.rev_parse(treeish)
            tree = obj.tree if obj.type == "commit" else obj
            entry = tree / path
        except (KeyError, ValueError, OSError):
            return None
        return f"{entry.mode:06o}", entry.hexsha

    def tree_of(self, commit: str) -> str:
        return self.api.commit(commit).tree.hexsha

    def cat_blob(self, sha: str) -> bytes:
        return self.api.odb.stream(bytes.fromhex(sha)).read()

    def staged_paths(self, commit: str, paths: list[str]) -> list[str]:
        """Which of paths have staged changes against commit in the user's index."""
        _, out = self._run("diff-index", "--cached", "--name-only", "-z", commit, "--", *paths)
        return [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]

    def stage(
        self, files: dict[str, tuple[str, str]], env: dict[str, str] | None = None, add_new=False
    ) -> None:
        """Set the index entries of files (repo path -> (mode, blob)): in the user's index (only
        the fixed files, after a --commit) unless env names a temporary one. The user's index
        gains new entries only with add_new (a file the commit created)."""
        info = "".join(f"{mode} {sha}\t{path}\0" for path, (mode, sha) in sorted(files.items()))
        add = ["--add"] if env or add_new else []
        self._run("update-index", "-z", *add, "--index-info", env=env, input=info.encode())

    def commit_with(
        self,
        base_treeish: str | None,
        files: dict[str, tuple[str, str]],
        parents: list[str],
        message: str,
    ) -> str:
        """A commit whose tree is base_treeish with files (repo path -> (mode, blob)) replaced."""
        with self.temp_index() as env:
            if base_treeish:
                self._run("read-tree", base_treeish, env=env)
            if files:
                self.stage(files, env)
            tree = self._out("write-tree", env=env)
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        return self._out(*args, env=self.identity_env(), input=message.encode())


def check_branch_name(repo: GitRepo, name: str) -> str:
    """refs/heads/<name> for a valid branch name that does not exist yet; UsageError otherwise."""
    status, _ = repo._run("check-ref-format", "--branch", name, check=False)
    if status != 0 or name.startswith("-"):
        raise UsageError(f"--branch {name!r} is not a valid branch name")
    ref = "refs/heads/" + name
    if repo.ref_exists(ref):
        raise UsageError(f"--branch {name}: the branch already exists; pick a new name")
    return ref


# -- what a run does with the repository --------------------------------------------------------


def record_snapshot(project: Project, run_id: str) -> Snapshot | None:
    """Refuse a repo in the middle of a merge/rebase/...; record the tree in a private ref and
    prune old ones. None outside git."""
    repo = GitRepo.of(project)
    if repo is None:
        return None
    repo.refuse_if_busy()
    snap = repo.snapshot(run_id)
    repo.prune_snapshots(KEEP_SNAPSHOTS, snap.ref)
    return snap


def drop_snapshot(project: Project | None, snap: Snapshot | None) -> None:
    """Delete a run's snapshot ref (a run that never got to the tests leaves no trace)."""
    if project is None or snap is None:
        return
    repo = GitRepo.of(project)
    if repo is not None:
        repo.delete_ref(snap.ref)
