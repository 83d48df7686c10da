"""The local process sandbox: a private scratch copy of the project per worker.

A candidate's files are written in, the command runs in its own session (inside new network,
PID and mount namespaces when the machine allows), then the files are restored and the copy is
checked: anything the run changed, deleted or added is put back, so every run starts from the same
tree. With the mount namespace (isolation.LOCKDOWN) the run sees the host read-only, writes into
the copy land in a size-capped tmpfs overlay, and every capability is dropped.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from treefix.errors import SandboxError
from treefix.protocols import COVERAGE_LIMIT, ExecRequest, ExecResult
from treefix.sandbox import cgroups
from treefix.sandbox.ctracer import ctracer_path
from treefix.sandbox.env import sandbox_env
from treefix.sandbox.isolation import Isolation, detect, lockdown_prefix
from treefix.sandbox.process import (
    ProcessGroups,
    ProcessResult,
    _kill_group,
    exec_result,
    run_process,
)
from treefix.workspace.snapshot import Project

ARTIFACT_LIMIT = 8 << 20


@dataclass
class Limits:
    memory_bytes: int = 4 << 30  # cgroup memory limit (OOM-killed, counted); else address space
    pids: int = 512  # cgroup pids limit: a fork bomb stops there
    file_bytes: int = 1 << 30  # largest file a run may write
    output_bytes: int = 1 << 20  # kept per stream
    # with the lockdown: the size of each tmpfs (writes into the copy, /tmp, /dev/shm)
    tmp_bytes: int = 512 << 20


def _stat_key(st: os.stat_result) -> tuple[int, ...]:
    # ctime as well as mtime: a run can put an mtime back (os.utime, cp -p), never the ctime
    return (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _rewrite_in_place(dest: Path, data: bytes) -> bool:
    """Rewrites a plain file through its own inode (a warm server's overlay keeps seeing it; a
    new inode may not be seen there). Never through a link: a run may have swapped the file for a
    symlink or a hard link to a host file, and those are replaced instead."""
    try:
        st = os.lstat(dest)
        if not (st.st_mode & 0o170000 == 0o100000 and st.st_nlink == 1):
            return False
        fd = os.open(dest, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
    except OSError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return True


def support_dir() -> str:
    return str(Path(__file__).resolve().parent.parent / "testing" / "support")


class LocalSandbox:
    kind = "local"

    def __init__(
        self,
        project: Project,
        *,
        limits: Limits | None = None,
        isolation: Isolation | None = None,
        label: str = "w0",
    ):
        self.project = project
        self.limits = limits or Limits()
        self.iso = isolation or detect()
        self._runs = ProcessGroups()  # this sandbox's runs in flight, for cancel()
        self._group = (
            cgroups.create(f"{os.getpid()}-{label}", self.limits.pids, self.limits.memory_bytes)
            if self.iso.namespaces
            else None
        )
        self.isolation = self.iso.describe() + (
            f", cgroup pids<={self.limits.pids} memory<={self.limits.memory_bytes >> 20} MiB"
            if self._group
            else ", no cgroup limits"
        )
        # resolved: the containment checks below compare resolved paths against it
        self._base = Path(tempfile.mkdtemp(prefix=f"treefix-{label}-")).resolve()
        self._work = self._base / "project"
        self._results = self._base / "results"
        if self.iso.filesystem:
            (self._base / "scratch").mkdir()  # where the lockdown mounts its tmpfs
        self.workdir = str(self._work)
        self.results_dir = str(self._results)
        self.support_dir = support_dir()
        self.ctracer = ctracer_path()  # treefix's own file: the host's paths are the sandbox's
        self._stats: dict[str, tuple[int, ...]] = {}
        self._live: list[subprocess.Popen] = []  # long-lived processes (warm servers)
        self.generation = 0  # bumped when the copy is rebuilt: a live process's view is stale
        try:
            self._populate()
        except OSError as exc:
            self.close()
            raise SandboxError(
                f"cannot create the scratch copy in {self._base}: {exc.strerror}"
            ) from None

    # -- scratch copy -------------------------------------------------------------------------
    def _populate(self) -> None:
        if self._work.exists():
            shutil.rmtree(self._work)
        self._work.mkdir(parents=True)
        self._results.mkdir(exist_ok=True)
        for name, entry in self.project.files.items():
            dest = self._work / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if name in self.project.sources:
                dest.write_bytes(self.project.sources[name])
            else:
                shutil.copyfile(self.project.root / name, dest)
            os.chmod(dest, entry.mode | 0o600)
        self._stats = self._scan()
        self.generation += 1

    def _scan(self) -> dict[str, tuple[int, ...]]:
        out: dict[str, tuple[int, ...]] = {}
        root = str(self._work)
        for dirpath, dirnames, filenames in os.walk(root):
            rel = os.path.relpath(dirpath, root)
            for f in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                full = os.path.join(dirpath, f)
                st = os.lstat(full)
                key = f if rel == "." else f"{rel}/{f}".replace(os.sep, "/")
                out[key] = _stat_key(st)
        return out

    def _ensure_clean(self) -> None:
        """A run may have deleted, changed or added files (or planted symlinks): put back only
        what differs; anything unexpected on the way rebuilds the whole copy."""
        now = self._scan()
        if now == self._stats:
            return
        try:
            self._resync(now)
        except (OSError, SandboxError):
            self._populate()

    def _resync(self, now: dict[str, tuple[int, ...]]) -> None:
        added = sorted(now.keys() - self._stats.keys(), key=len)
        for name in added:  # what the run wrote (files, links to folders): remove, never follow
            path = self._work / name
            if path.is_symlink() or not path.is_dir():
                path.unlink(missing_ok=True)
            else:
                shutil.rmtree(path)
        keep = {str(Path(n).parent) for n in self._stats}
        for name in added:  # folders the run made, now empty: gone too
            parent = Path(name).parent
            while str(parent) not in keep and parent != Path("."):
                with contextlib.suppress(OSError):
                    (self._work / parent).rmdir()
                parent = parent.parent
        changed = [n for n, key in self._stats.items() if now.get(n) != key]
        for name in changed:  # deleted or modified: the original again
            dest = self._checked(name)  # no parent swapped for a link
            dest.unlink(missing_ok=True)
            if name in self.project.sources:
                dest.write_bytes(self.project.sources[name])
            else:
                dest.write_bytes(self.project.read_original(name))
            os.chmod(dest, self.project.files[name].mode | 0o600)
        after = self._scan()
        same = all(after.get(n) == k for n, k in self._stats.items() if n not in changed)
        if after.keys() != self._stats.keys() or not same:
            raise SandboxError("the scratch copy did not come back clean")
        self._stats = after

    def _checked(self, name: str) -> Path:
        dest = self._work / name
        if name not in self.project.files or not dest.resolve().is_relative_to(self._work):
            raise SandboxError(f"candidate writes outside the project's files: {name}")
        return dest

    def _write(self, changed: Mapping[str, bytes]) -> None:
        for name, data in changed.items():
            self._checked(name).write_bytes(data)

    def _restore(self, changed: Mapping[str, bytes]) -> None:
        for name in changed:
            if name not in self.project.files:
                continue  # refused by _write, never written: nothing to put back
            # checked before unlinking: a run may have swapped a parent folder for a symlink
            dest = self._checked(name)
            data = self.project.read_original(name)
            if not _rewrite_in_place(dest, data):
                dest.unlink(missing_ok=True)
                dest.write_bytes(data)
            os.chmod(dest, self.project.files[name].mode | 0o600)
            # restoring re-stamps the mtime: refresh the entry before comparing the tree
            self._stats[name] = _stat_key(os.lstat(dest))

    # -- running ------------------------------------------------------------------------------
    def _keep(self, request: ExecRequest) -> list[str]:
        """Host folders under /tmp the run needs although its /tmp is private: the interpreter's
        venv and the plugin folder, when treefix or the project lives under /tmp."""
        words = []
        for arg in request.argv:  # a --test-cmd arrives as one shell string
            try:
                words += shlex.split(arg) if "/tmp/" in arg else []
            except ValueError:
                words.append(arg)
        paths = [w for w in words if w.startswith("/tmp/")]
        paths += [p for p in request.env.get("PYTHONPATH", "").split(":") if p]
        # treefix's own environment (often the project's too, and what wrapper scripts call)
        paths += [sys.prefix, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
        keep = []
        for p in paths:
            p = os.path.abspath(p)
            if not p.startswith("/tmp/") or not os.path.exists(p) or p.startswith(str(self._base)):
                continue
            folder = p if os.path.isdir(p) else os.path.dirname(p)
            if os.path.basename(folder) == "bin":  # a venv's interpreter: keep the whole venv
                folder = os.path.dirname(folder)
            keep.append(folder)
        return keep

    def _argv(self, argv: list[str], keep: list[str] | None = None) -> list[str]:
        prefix = (self._group.prefix() if self._group else []) + list(self.iso.prefix)
        if self.iso.filesystem:
            prefix += lockdown_prefix(str(self._base), self.limits.tmp_bytes, keep or [])
        if self.iso.rlimits:
            prefix += ["prlimit", "--core=0", f"--fsize={self.limits.file_bytes}"]
            if self._group is None:  # no memory cgroup: cap the address space instead
                prefix.append(f"--as={self.limits.memory_bytes}")
            prefix.append("--")
        return prefix + argv

    def spawn(self, request: ExecRequest) -> subprocess.Popen:
        """A long-lived process (the warm test server) inside the same containment as a run:
        cgroup, namespaces, lockdown, rlimits. stdin/stdout are pipes for its protocol; cancel()
        and close() kill it. Its view of the copy is the copy at this generation."""
        fs_env = {"HOME": "/tmp", "TMPDIR": "/tmp"} if self.iso.filesystem else {}
        if self.iso.filesystem:  # what the server checks after each child (see treefix_warm.py)
            fs_env |= {
                "TREEFIX_WARM_PRIVATE_TMP": "1",
                "TREEFIX_WARM_UPPER": str(self._base / "scratch" / "upper"),
            }
        try:
            proc = subprocess.Popen(
                self._argv(request.argv, self._keep(request)),
                cwd=self.workdir,
                env=sandbox_env({**fs_env, **request.env}),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        except FileNotFoundError as exc:
            raise SandboxError(f"cannot start {request.argv[0]!r}: {exc.strerror}") from None
        self._runs.add(proc.pid)
        self._live.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        """Kills a spawned process's whole tree (its namespace with it) and reaps it."""
        _kill_group(proc.pid, 9)
        proc.kill()
        proc.wait()
        self._runs.discard(proc.pid)
        if proc in self._live:
            self._live.remove(proc)
        self._reap()
        for f in (proc.stdin, proc.stdout):
            try:
                f.close() if f else None
            except OSError:
                pass

    def _reap(self) -> None:
        """Waits until nothing of a finished run is left in the worker's group (see
        WorkerGroup.reap); a live warm server and everything in its PID namespace stay."""
        if self._group is None:
            return
        live = {proc.pid for proc in self._live}
        spaces = {_ns(f"/proc/{pid}/ns/pid_for_children") for pid in live} - {None}
        self._group.reap(lambda pid: pid in live or _ns(f"/proc/{pid}/ns/pid") in spaces)

    def execute(
        self,
        changed: Mapping[str, bytes],
        request: ExecRequest,
        through: Callable[[list[str], dict[str, str], float, int], ProcessResult] | None = None,
    ) -> ExecResult:
        """`through`: runs the command instead of a new process (the warm server), given argv,
        environment, timeout and output cap; the copy is written, restored and checked alike."""
        if self._results.is_symlink() or not self._results.is_dir():
            # a run swapped the results dir for a link: never empty the folder it points to
            self._results.unlink(missing_ok=True)
            self._results.mkdir()
        for f in self._results.iterdir():
            if f.is_dir() and not f.is_symlink():
                shutil.rmtree(f)
            else:
                f.unlink()
        ooms_before = self._group.oom_kills() if self._group else 0
        forks_refused = self._group.pids_refusals() if self._group else 0
        try:
            self._write(changed)
            # with the lockdown, the host's HOME and TMPDIR are read-only: scratch is /tmp
            fs_env = {"HOME": "/tmp", "TMPDIR": "/tmp"} if self.iso.filesystem else {}
            env = sandbox_env({**fs_env, **request.env})
            if through is not None:
                res = through(request.argv, env, request.timeout, self.limits.output_bytes)
            else:
                res = run_process(
                    self._argv(request.argv, self._keep(request)),
                    cwd=self.workdir,
                    env=env,
                    timeout=request.timeout,
                    output_limit=self.limits.output_bytes,
                    groups=self._runs,
                )
                self._reap()
        except FileNotFoundError as exc:
            raise SandboxError(f"cannot start {request.argv[0]!r}: {exc.strerror}") from None
        finally:
            try:
                self._restore(changed)
                if not self.iso.filesystem:
                    # with the lockdown the run wrote into an overlay that is gone now: only our
                    # own writes touched the copy, and _restore undid them (no walk of the repo)
                    self._ensure_clean()
            except (OSError, SandboxError):
                self._populate()
        artifacts = self._read_artifacts()
        oom = bool(self._group and self._group.oom_kills() > ooms_before)
        pids_limited = bool(self._group and self._group.pids_refusals() > forks_refused)
        return exec_result(res, oom, pids_limited, artifacts, warm=through is not None)

    def _read_artifacts(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in sorted(self._results.iterdir()):
            if f.is_symlink() or not f.is_file():
                continue
            with open(f, "rb") as fh:
                limit = COVERAGE_LIMIT if f.name.startswith("coverage.json") else ARTIFACT_LIMIT
                out[f.name] = fh.read(limit).decode("utf-8", "replace")
        # the results folder is the one place on the host disk a run can fill (each file capped
        # by the file-size limit): empty it now, so the space is back as soon as the run ends
        # (not when a run swapped it for a link: the next run replaces the link, never its target)
        for f in [] if self._results.is_symlink() else self._results.iterdir():
            if f.is_dir() and not f.is_symlink():
                shutil.rmtree(f, ignore_errors=True)
            else:
                f.unlink(missing_ok=True)
        return out

    def cancel(self) -> None:
        self._runs.cancel()

    def peak_memory_mb(self) -> float | None:
        return None  # its runs are treefix's own children, not a group it can measure apart

    def cpu_seconds(self) -> float | None:
        return None  # the same: treefix's rusage of its children counts them (children_cpu)

    def close(self) -> None:
        for proc in list(getattr(self, "_live", [])):
            self.stop(proc)
        shutil.rmtree(self._base, ignore_errors=True)
        group = getattr(self, "_group", None)
        if group is not None:
            group.remove()


def _ns(link: str) -> str | None:
    try:
        return os.readlink(link)
    except OSError:
        return None
