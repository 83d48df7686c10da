"""The Docker sandbox: one warm, hardened container per worker for the whole run.

The project goes in once as a tar stream built in memory (root-owned, so candidates can read but
not change it); per candidate only the changed files are written, the test command runs through
`docker exec` as an unprivileged user inside `timeout -k`, results come back as text (a capped
in-memory read of the results folder, never extracted to disk), and the files are put back. The
user's repo is never bind-mounted; no host environment variable enters the container.
"""

from __future__ import annotations

import os
import re
import secrets
import signal as _signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from treefix.errors import SandboxError, SandboxUnavailable
from treefix.protocols import ExecRequest, ExecResult
from treefix.sandbox import docker_warm
from treefix.sandbox.capture import CappedBuffer
from treefix.sandbox.ctracer import ctracer_path
from treefix.sandbox.docker_engine import LABEL
from treefix.sandbox.docker_tar import _read_tar_text, _tar
from treefix.sandbox.env import sandbox_env
from treefix.sandbox.local import support_dir
from treefix.sandbox.process import ProcessResult, exec_result
from treefix.workspace.snapshot import Project

WORK = "/work"
PROJECT = "/work/project"
RESULTS = "/work/results"
SUPPORT = "/work/support"
SCRATCH = "/tmp /var/tmp /dev/shm /run/lock"  # writable by the candidate's uid
OOM_COUNTERS = "/sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events"  # v1, v2
PEAK_COUNTERS = "/sys/fs/cgroup/memory/memory.max_usage_in_bytes /sys/fs/cgroup/memory.peak"
PIDS_COUNTERS = "/sys/fs/cgroup/pids/pids.events /sys/fs/cgroup/pids.events"  # v1, v2: "max N"
# v1: cpuacct.usage in ns (also mounted as cpu,cpuacct); v2: cpu.stat's usage_usec
CPU_COUNTERS = (
    "/sys/fs/cgroup/cpuacct/cpuacct.usage /sys/fs/cgroup/cpu,cpuacct/cpuacct.usage "
    "/sys/fs/cgroup/cpu.stat"
)
USER = "1000:1000"
# sets $oom and $pids from the cgroup's counters, with shell builtins only (a killed fork bomb's
# pids are not reaped yet) and by exact key (cgroup v1's oom_control also has oom_kill_disable)
_READ_COUNTERS = (
    f"oom=; for f in {OOM_COUNTERS}; do [ -r $f ] && while read -r k v; do "
    '[ "$k" = oom_kill ] && oom=$v; done < $f; done; '
    f"pids=; for f in {PIDS_COUNTERS}; do [ -r $f ] && while read -r k v; do "
    '[ "$k" = max ] && pids=$v; done < $f; done; '
)
_COUNTERS = _READ_COUNTERS + 'printf "%s,%s" "$oom" "$pids"'
ARTIFACT_LIMIT = 8 << 20
CONTAINER_PATH = (
    "/opt/treefix-venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)


@dataclass
class DockerLimits:
    """Each limit is a setting; these defaults suit a small project's test suite."""

    memory: str = "2g"  # mem_limit == memswap_limit: no swap escape
    cpus: float = 1.0  # per container (one worker)
    pids: int = 256  # stops fork bombs
    tmp_size: str = "256m"  # /tmp is a size-capped tmpfs
    file_bytes: int = 1 << 30  # RLIMIT_FSIZE for every process
    log_size: str = "1m"  # container log cap
    output_bytes: int = 1 << 20  # kept per stream
    kill_grace: int = 2  # seconds between SIGTERM and SIGKILL (timeout -k)


class DockerSandbox:
    kind = "docker"
    workdir = PROJECT
    results_dir = RESULTS
    support_dir = SUPPORT
    ctracer = f"{SUPPORT}/{os.path.basename(ctracer_path())}" if ctracer_path() else ""
    generation = 0  # the container's project is never rebuilt: a warm server stays valid

    def __init__(
        self,
        project: Project,
        *,
        image: str,
        run_id: str,
        client,
        limits: DockerLimits | None = None,
        label: str = "w0",
    ):
        import docker.errors
        from docker.types import LogConfig, Ulimit

        self.project = project
        self.limits = lim = limits or DockerLimits()
        self.client = client
        self._dirty: set[str] = set()
        self._oom_seen = 0
        self._pids_seen = 0
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            raise SandboxUnavailable(
                f"sandbox image {image} not found: run `treefix sandbox build {project.root}`"
            ) from None
        try:
            self.container = client.containers.create(
                image,
                command=["sleep", "infinity"],
                init=True,
                detach=True,
                working_dir=PROJECT,
                network_mode="none",
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                pids_limit=lim.pids,
                mem_limit=lim.memory,
                memswap_limit=lim.memory,
                nano_cpus=int(lim.cpus * 1e9),
                # every place the candidate's uid can write is a size-capped tmpfs (RAM, charged
                # to the memory limit), not the container's layer on the host disk; the results
                # folder is the exception (read back with get_archive): each file there is capped
                # by the file-size limit
                tmpfs={
                    "/tmp": f"rw,nosuid,nodev,size={lim.tmp_size}",
                    "/var/tmp": f"rw,nosuid,nodev,size={lim.tmp_size}",
                    "/run/lock": "rw,nosuid,nodev,noexec,size=1m",
                },
                ulimits=[
                    Ulimit(name="core", soft=0, hard=0),
                    Ulimit(name="fsize", soft=lim.file_bytes, hard=lim.file_bytes),
                ],
                log_config=LogConfig(
                    type="json-file", config={"max-size": lim.log_size, "max-file": "1"}
                ),
                environment={"PATH": CONTAINER_PATH},
                labels={
                    LABEL: "1",
                    "treefix.run": run_id,
                    "treefix.pid": str(os.getpid()),
                    "treefix.host": socket.gethostname(),
                },
                name=f"treefix-{run_id}-{label}-{secrets.token_hex(2)}",
            )
            self._put(self._initial_archive())
            self.container.start()
        except docker.errors.DockerException as exc:
            self.close()
            raise SandboxError(f"cannot start a sandbox container from {image}: {exc}") from None
        self.isolation = (
            f"docker container {image}: no network, all capabilities dropped, no-new-privileges, "
            f"uid 1000, pids<={lim.pids}, memory {lim.memory} (no swap), {lim.cpus:g} CPU, /tmp /var/tmp tmpfs {lim.tmp_size}"
        )

    # -- files --------------------------------------------------------------------------------
    def _initial_archive(self) -> bytes:
        files: dict[str, bytes] = {}
        for name in self.project.files:
            # the snapshot's bytes (an empty source is falsy: `or` re-read it from the user's tree)
            files[f"project/{name}"] = self.project.read_original(name)
        for f in os.listdir(support_dir()):
            if f.endswith(".py"):
                with open(os.path.join(support_dir(), f), "rb") as fh:
                    files[f"support/{f}"] = fh.read()
        if ctracer_path():  # the image's Python loads it only when built for its ABI
            with open(ctracer_path(), "rb") as fh:
                files[f"support/{os.path.basename(ctracer_path())}"] = fh.read()
        modes = {f"project/{n}": e.mode for n, e in self.project.files.items()}
        dirs = {"project": 0, "support": 0, "results": 1000}
        # parent directories of every file, root-owned (read-only for the candidate)
        for name in files:
            parts = name.split("/")[:-1]
            for i in range(2, len(parts) + 1):
                dirs.setdefault("/".join(parts[:i]), 0)
        return _tar(files, modes, "work/", dirs)

    def _put(self, archive: bytes) -> None:
        if not self.container.put_archive("/", archive):
            raise SandboxError("the Docker engine refused to write files into the sandbox")

    def _write(self, changed: Mapping[str, bytes]) -> None:
        """Write this candidate's files and put back the previous candidate's in one archive."""
        files: dict[str, bytes] = {}
        for name in self._dirty - set(changed):
            files[f"project/{name}"] = self.project.read_original(name)  # any file, not only .py
        for name, data in changed.items():
            if name not in self.project.files or ".." in name.split("/") or name.startswith("/"):
                raise SandboxError(f"candidate writes outside the project's files: {name}")
            files[f"project/{name}"] = data
        if files:
            modes = {f"project/{n}": self.project.files[n].mode for n in set(changed) | self._dirty}
            self._put(_tar(files, modes, "work/"))
        self._dirty = set(changed)

    # -- running ------------------------------------------------------------------------------
    def execute(
        self,
        changed: Mapping[str, bytes],
        request: ExecRequest,
        through: Callable[[list[str], dict[str, str], float, int], ProcessResult] | None = None,
    ) -> ExecResult:
        """`through`: a warm server in this container runs the command instead of `docker exec`
        (given argv, environment, timeout and output cap); files go in and results come out alike."""
        import docker.errors
        import requests.exceptions

        try:
            self._write(changed)
            if through is not None:
                return self._run_through(request, through)
            return self._run(request)
        except (
            docker.errors.DockerException,
            requests.exceptions.RequestException,
            OSError,
        ) as exc:
            raise SandboxError(
                f"the Docker engine failed during a run: {type(exc).__name__}: {exc}"
            ) from None

    def _env(self, extra: Mapping[str, str]) -> dict[str, str]:
        return sandbox_env(
            dict(extra), base={"PATH": CONTAINER_PATH, "HOME": "/tmp", "TMPDIR": "/tmp"}
        )

    # -- the warm server (testing/warm): one long-lived process of the candidate's uid ------------
    def spawn(self, request: ExecRequest) -> docker_warm.ExecProcess:
        """The warm test server, as the candidate's uid under the container's limits. It empties
        the results folder and the scratch places after each child and reads the cgroup's
        OOM and pids counters itself (what the cold run's shell script does)."""
        env = self._env(
            {
                **request.env,
                "TREEFIX_WARM_PRIVATE_TMP": "1",
                "TREEFIX_WARM_SCRATCH": ":".join(SCRATCH.split()),
                "TREEFIX_WARM_RESULTS": RESULTS,
                "TREEFIX_WARM_CGROUP": "1",
            }
        )
        return docker_warm.spawn(
            self.client.api, self.container.id, request.argv, env, USER, PROJECT
        )

    def stop(self, proc: docker_warm.ExecProcess) -> None:
        docker_warm.stop(proc)

    def _run_through(self, request: ExecRequest, through) -> ExecResult:
        res = through(
            request.argv, self._env(request.env), request.timeout, self.limits.output_bytes
        )
        if res.oom or res.pids_limited:  # keep the cold runs' counters in step
            self._oom_seen, self._pids_seen = self._counters()
        artifacts = res.artifacts if res.artifacts is not None else self._artifacts()
        return exec_result(res, res.oom, res.pids_limited, artifacts, warm=True)

    def _counters(self) -> tuple[int, int]:
        """The cgroup's OOM kills and refused forks so far, read inside the container."""
        code, out = self.container.exec_run(["sh", "-c", _COUNTERS], user=USER)
        oom, _, pids = out.decode(errors="replace").strip().partition(",")
        return (
            int(oom) if oom.isdigit() else self._oom_seen,
            int(pids) if pids.isdigit() else self._pids_seen,
        )

    def _run(self, request: ExecRequest) -> ExecResult:
        api = self.client.api
        env = self._env(request.env)
        timeout = max(1, int(request.timeout + 0.999))
        oom_mark = f"__TREEFIX_OOM_{secrets.token_hex(6)}"
        # empty the results folder and every scratch place the candidate's uid can write (what one
        # candidate leaves there must not reach the next); run under timeout; kill every process
        # of the candidate's uid so a daemonised grandchild cannot outlive the run or hold the pipe;
        # read the OOM-kill counter with shell builtins only (the killed fork bomb's pids are not
        # reaped yet) and by its exact key (cgroup v1's oom_control also has oom_kill_disable)
        scratch = f"{RESULTS} {SCRATCH}"
        script = (
            f"chmod -R u+rwx {scratch} 2>/dev/null; find {scratch} -mindepth 1 -delete 2>/dev/null; "
            f'timeout -k {self.limits.kill_grace} {timeout} "$@"; rc=$?; kill -KILL -1 2>/dev/null; '
            f"{_READ_COUNTERS}"
            f'printf "\\n{oom_mark}=%s,%s\\n" "$oom" "$pids" >&2; '
            "exit $rc"
        )
        exec_id = api.exec_create(
            self.container.id,
            ["sh", "-c", script, "treefix", *request.argv],
            user=USER,
            environment=env,
            workdir=PROJECT,
            stdout=True,
            stderr=True,
        )["Id"]
        out, err = CappedBuffer(self.limits.output_bytes), CappedBuffer(self.limits.output_bytes)
        start = time.monotonic()
        stream = api.exec_start(exec_id, stream=True, demux=True)

        def drain() -> None:
            for o, e in stream:
                if o:
                    out.feed(o)
                if e:
                    err.feed(e)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        reader.join(timeout + self.limits.kill_grace + 10)
        hung = reader.is_alive()
        if hung:  # backstop: the engine did not end the exec; kill the candidate's processes
            api.exec_start(
                api.exec_create(self.container.id, ["sh", "-c", "kill -KILL -1"], user=USER)["Id"]
            )
            reader.join(5)
        duration = time.monotonic() - start
        rc = api.exec_inspect(exec_id).get("ExitCode")
        stderr = err.text()
        found = re.findall(rf"{oom_mark}=(\d*),(\d*)", stderr)
        ooms = int(found[-1][0]) if found and found[-1][0] else self._oom_seen
        oom, self._oom_seen = ooms > self._oom_seen, ooms
        # forks the container's pids limit refused during this run (a fork bomb)
        refused = int(found[-1][1]) if found and found[-1][1] else self._pids_seen
        pids_limited, self._pids_seen = refused > self._pids_seen, refused
        stderr = re.sub(rf"\n?{oom_mark}=\d*,\d*\n?", "\n", stderr).strip("\n")
        # 124, or 137 once the limit has passed: `timeout` ended the run. Any other 128+n: a signal
        # killed the harness itself (a test's os.killpg(0, SIGKILL)), not the clock
        timed_out = hung or not oom and (rc == 124 or rc == 137 and duration >= timeout)
        sig = None
        if not (timed_out or oom) and rc is not None and rc - 128 in _signal.valid_signals():
            sig = rc - 128
        artifacts = self._artifacts()
        return ExecResult(
            exit_code=None if timed_out or sig else rc,
            stdout=out.text(),
            stderr=stderr,
            duration=duration,
            timed_out=timed_out,
            signal=sig,
            truncated=out.truncated or err.truncated,
            oom=oom,
            pids_limited=pids_limited,
            artifacts=artifacts,
        )

    def _artifacts(self) -> dict[str, str]:
        import docker.errors

        try:
            stream, _ = self.container.get_archive(RESULTS)
        except docker.errors.NotFound:
            return {}
        return _read_tar_text(stream, ARTIFACT_LIMIT)

    def _cgroup_text(self, paths: str) -> str:
        """The text of those of these cgroup files the container has (v1 or v2)."""
        _, out = self.container.exec_run(["sh", "-c", f"cat {paths} 2>/dev/null"], user=USER)
        return out.decode(errors="replace")

    def peak_memory_mb(self) -> float | None:
        """The container's memory peak from its cgroup (v1 max_usage, v2 memory.peak): every run
        and warm server in it, page cache included, as the memory limit counts it."""
        first = self._cgroup_text(PEAK_COUNTERS).split()
        return round(int(first[0]) / (1 << 20), 1) if first and first[0].isdigit() else None

    def cpu_seconds(self) -> float | None:
        """The container's CPU time from its cgroup: every run and warm server in it."""
        return cgroup_cpu_seconds(self._cgroup_text(CPU_COUNTERS))

    def cancel(self) -> None:
        """A `docker exec` is not in our process groups: removing the container is what ends
        it. That is an engine call, so it runs in a thread, not in the signal handler."""
        if getattr(self, "_remover", None) is None:
            self._remover = threading.Thread(target=self._remove, daemon=True)
            self._remover.start()

    def close(self) -> None:
        remover = getattr(self, "_remover", None)
        if remover is not None:
            remover.join()
        self._remove()

    def _remove(self) -> None:
        container = getattr(self, "container", None)
        if container is not None:
            try:
                container.remove(force=True)
            except Exception:  # the engine may be gone; the next run's sweep removes it
                pass


def cgroup_cpu_seconds(text: str) -> float | None:
    """CPU seconds from a cgroup's counter: v1's cpuacct.usage (one number, ns) or v2's cpu.stat
    (`usage_usec N` among other lines)."""
    m = re.search(r"^usage_usec (\d+)$", text, re.M)
    if m:
        return int(m.group(1)) / 1e6
    first = text.split()
    return int(first[0]) / 1e9 if first and first[0].isdigit() else None
