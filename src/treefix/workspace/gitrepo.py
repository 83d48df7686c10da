"""The user's git repository, touched only through plumbing.

Every call disables hooks and fsmonitor and takes no optional locks. Nothing here runs stash,
reset, checkout, restore or clean: the working tree is never written by git. Snapshots and
commits are built in a temporary index (GIT_INDEX_FILE in a temp dir) and published by a single
`update-ref`, which is atomic: a crash leaves at most unreferenced objects behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from treefix.errors import GitError, RepoBusy, UsageError

GIT_SAFE = ["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"]
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


class GitRepo:
    def __init__(self, toplevel: Path, git_dir: Path):
        self.toplevel = toplevel
        self.git_dir = git_dir

    @classmethod
    def find(cls, path: str | os.PathLike[str]) -> GitRepo | None:
        found = []
        # one path per call, only the final newline cut: a folder name may hold a newline
        for flag in ("--show-toplevel", "--absolute-git-dir"):
            try:
                out = _run(Path(path), ["rev-parse", flag], None)
            except (OSError, subprocess.SubprocessError):
                return None
            text = out.stdout.decode("utf-8", "surrogateescape")
            if out.returncode != 0 or not text.endswith("\n"):
                return None  # not a repository, a bare one, or inside .git
            found.append(Path(text[:-1]))
        return cls(found[0], found[1])

    # -- running git ------------------------------------------------------------------------

    def run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        input: bytes | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            out = _run(self.toplevel, list(args), env, input)
        except (OSError, subprocess.SubprocessError) as exc:
            raise GitError(f"git {args[0]} failed: {exc}") from exc
        if check and out.returncode != 0:
            msg = out.stderr.decode(errors="replace").strip().splitlines()
            raise GitError(f"git {args[0]} failed: {msg[-1] if msg else out.returncode}")
        return out

    def out(self, *args: str, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
        return self.run(*args, env=env, input=input).stdout.decode().strip()

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
        path = self.out("rev-parse", "--git-path", "index")
        p = Path(path)
        return p if p.is_absolute() else self.toplevel / p

    # -- state ------------------------------------------------------------------------------

    def head(self) -> Head:
        sym = self.run("symbolic-ref", "-q", "HEAD", check=False)
        branch = sym.stdout.decode().strip() if sym.returncode == 0 else None
        rev = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        commit = rev.stdout.decode().strip() if rev.returncode == 0 else None
        return Head(commit, branch)

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
        return self.run("rev-parse", "-q", "--verify", ref, check=False).returncode == 0

    def identity_env(self) -> dict[str, str]:
        """The user's identity when git knows it, treefix's otherwise (commits never fail on it)."""
        env: dict[str, str] = {}
        for role in ("AUTHOR", "COMMITTER"):
            if self.run("var", f"GIT_{role}_IDENT", check=False).returncode != 0:
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
            self.run("add", "-A", "--ignore-errors", "--", ".", env=env, check=False)
            tree = self.out("write-tree", env=env)
        args = [
            "commit-tree",
            tree,
            "-m",
            f"treefix snapshot {run_id}\n\nThe working tree as treefix read it.",
        ]
        if head.commit:
            args[2:2] = ["-p", head.commit]
        commit = self.out(*args, env=TREEFIX_IDENT)
        ref = SNAPSHOT_PREFIX + run_id
        self.run("update-ref", "-m", "treefix snapshot", ref, commit, ZERO)
        return Snapshot(ref, commit, tree, head)

    def prune_snapshots(self, keep: int, current: str) -> list[str]:
        """Delete all but the `keep` newest snapshot refs (run ids sort by time); never `current`.
        A pre-commit hook makes one per failing commit attempt, so they would pile up."""
        refs = self.out("for-each-ref", "--format=%(refname)", SNAPSHOT_PREFIX).split()
        old = [r for r in sorted(refs, reverse=True)[keep:] if r != current]
        for ref in old:
            self.delete_ref(ref)
        return old

    def delete_ref(self, ref: str) -> None:
        self.run("update-ref", "-d", ref, check=False)

    # -- building commits -------------------------------------------------------------------

    def hash_blob(self, path: str, data: bytes) -> str:
        return self.out("hash-object", "-w", "--stdin", f"--path={path}", input=data)

    def tree_entry(self, treeish: str, path: str) -> tuple[str, str] | None:
        """(mode, blob) of path in treeish, or None."""
        out = self.run("ls-tree", "-z", treeish, "--", path, check=False)
        if out.returncode != 0 or not out.stdout:
            return None
        meta, _, _ = out.stdout.decode("utf-8", "surrogateescape").partition("\t")
        mode, _kind, sha = meta.split()
        return mode, sha

    def cat_blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha).stdout

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
                self.run("read-tree", base_treeish, env=env)
            if files:
                info = "".join(
                    f"{mode} {sha}\t{path}\0" for path, (mode, sha) in sorted(files.items())
                )
                self.run(
                    "update-index", "-z", "--add", "--index-info", env=env, input=info.encode()
                )
            tree = self.out("write-tree", env=env)
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        return self.out(*args, env=self.identity_env(), input=message.encode())


def _run(
    cwd: Path, args: list[str], env: dict[str, str] | None, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    full_env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    full_env.update(env or {})
    return subprocess.run(
        ["git", *GIT_SAFE, *args],
        cwd=cwd,
        capture_output=True,
        timeout=120,
        env=full_env,
        input=input,
    )


def check_branch_name(repo: GitRepo, name: str) -> str:
    """refs/heads/<name> for a valid branch name that does not exist yet; UsageError otherwise."""
    ok = repo.run("check-ref-format", "--branch", name, check=False)
    if ok.returncode != 0 or name.startswith("-"):
        raise UsageError(f"--branch {name!r} is not a valid branch name")
    ref = "refs/heads/" + name
    if repo.ref_exists(ref):
        raise UsageError(f"--branch {name}: the branch already exists; pick a new name")
    return ref
