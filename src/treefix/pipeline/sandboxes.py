"""The executor over a run's sandboxes (the backend is chosen by `sandbox/backends.py`)."""

from __future__ import annotations

import os
import time

from treefix.errors import UsageError
from treefix.executors.ray import RayExecutor, connect  # ray itself loads only in connect()
from treefix.executors.thread import ThreadExecutor
from treefix.pipeline.events import Events
from treefix.pipeline.options import SandboxOptions
from treefix.protocols import Executor
from treefix.sandbox.backends import make_sandboxes
from treefix.sandbox.pool import SandboxPool
from treefix.testing.runner import TestRunner
from treefix.workspace.snapshot import Project, read_files

COPY_PROGRESS_FILES = 2000  # projects this large get a progress line for the sandbox copies


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
) -> tuple[Executor, float]:
    """The executor over this run's sandboxes, and the seconds creating them took."""
    n = worker_count(options)
    size = sum(f.size for f in project.files.values())
    big = len(project.files) >= COPY_PROGRESS_FILES
    if big:  # copying a large tree takes seconds: say what is happening and how long it took
        events.message(
            f"copying {len(project.files)} files ({size / 2**20:.1f} MiB) into {n} {kind} sandbox(es)..."
        )
    t0 = time.monotonic()
    if options.executor == "ray":  # candidate evaluations on Ray actors, one sandbox each
        ray = connect(options.ray_address)
        executor = RayExecutor(
            ray,
            read_files(project),
            kind,
            image,
            options,
            run_id,
            runner,
            n,
            events.message,
            str(project.root),
        )
        events.message(
            f"ray: {n} sandbox actor(s) on {len(set(executor.nodes))} node(s), {kind} sandboxes"
        )
        return executor, time.monotonic() - t0
    if options.executor != "local":
        raise UsageError(f"executor must be local or ray, not {options.executor!r}")
    pool = SandboxPool(make_sandboxes(kind, project, n, run_id, image, options))
    seconds = time.monotonic() - t0
    if big:
        events.message(f"copied in {seconds:.1f}s")
    return ThreadExecutor(pool, runner), seconds
