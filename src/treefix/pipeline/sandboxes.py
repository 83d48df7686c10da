"""Which sandbox backend a run uses, its sandboxes, and the executor over them.

`choose_sandbox` and `make_sandboxes` are imported from here alone, so a backend registry can
take them over with a one-line re-point.
"""

from __future__ import annotations

import os
import time

from treefix.errors import SandboxUnavailable, UsageError
from treefix.executors.thread import ThreadExecutor
from treefix.markup import escape
from treefix.pipeline.events import Events
from treefix.pipeline.options import SandboxOptions
from treefix.protocols import Sandbox
from treefix.sandbox.docker import DockerSandbox
from treefix.sandbox.docker_engine import client, probe, sweep
from treefix.sandbox.image import image_tag
from treefix.sandbox.local import LocalSandbox
from treefix.sandbox.pool import SandboxPool
from treefix.sandbox.settings import docker_limits, local_limits
from treefix.testing.runner import TestRunner
from treefix.workspace.snapshot import Project

COPY_PROGRESS_FILES = 2000  # projects this large get a progress line for the sandbox copies


def choose_sandbox(
    kind: str, project: Project, image: str | None, events: Events
) -> tuple[str, str | None]:
    """(kind, image). auto = Docker when an engine answers and the project's image exists."""
    if kind not in ("auto", "local", "docker"):
        raise UsageError(f"--sandbox must be auto, local or docker, not {kind!r}")
    if kind == "local":
        return "local", None
    ok, why = probe()
    if not ok:
        if kind == "docker":
            raise SandboxUnavailable(
                f"--sandbox docker: {why}; install/start Docker or use --sandbox local"
            )
        events.message(f"sandbox: local ({escape(why)})")
        return "local", None
    tag = image or image_tag(project.root)
    if kind == "auto":
        import docker.errors  # the Docker SDK loads only when Docker is asked about

        try:
            client().images.get(tag)
        except docker.errors.ImageNotFound:
            events.message(
                f"sandbox: local (Docker answers but {tag} is not built: `treefix sandbox build {project.root}`)"
            )
            return "local", None
    return "docker", tag


def make_sandboxes(
    kind: str,
    project: Project,
    n: int,
    run_id: str,
    image: str | None,
    options: SandboxOptions | None = None,
) -> list[Sandbox]:
    options = options or SandboxOptions()
    if kind == "docker":
        dc = client()
        sweep(dc)
        boxes: list[Sandbox] = []
        try:
            for i in range(n):
                boxes.append(
                    DockerSandbox(
                        project,
                        image=image or "",
                        run_id=run_id,
                        client=dc,
                        label=f"w{i}",
                        limits=docker_limits(options),
                    )
                )
        except BaseException:
            for b in boxes:
                b.close()
            raise
        return boxes
    limits = local_limits(options)
    return [LocalSandbox(project, label=f"{run_id}-w{i}", limits=limits) for i in range(n)]


def worker_count(options: SandboxOptions) -> int:
    return options.workers or min(os.cpu_count() or 1, 4)


def open_executor(
    kind: str,
    image: str | None,
    project: Project,
    run_id: str,
    options: SandboxOptions,
    runner: TestRunner,
    events: Events,
) -> tuple[ThreadExecutor, float]:
    """The executor over this run's sandboxes, and the seconds creating them took."""
    n = worker_count(options)
    size = sum(f.size for f in project.files.values())
    big = len(project.files) >= COPY_PROGRESS_FILES
    if big:  # copying a large tree takes seconds: say what is happening and how long it took
        events.message(
            f"copying {len(project.files)} files ({size / 2**20:.1f} MiB) into {n} {kind} sandbox(es)..."
        )
    t0 = time.monotonic()
    pool = SandboxPool(make_sandboxes(kind, project, n, run_id, image, options))
    seconds = time.monotonic() - t0
    if big:
        events.message(f"copied in {seconds:.1f}s")
    return ThreadExecutor(pool, runner), seconds
