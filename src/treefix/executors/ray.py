"""The Ray Executor: candidate evaluations of one repair go to Ray actors, each holding one warm
sandbox on its node, built from the snapshot that travels through Ray's object store.

Evaluation i of a batch goes to actor i mod n and results come back in submission order, as with
the ThreadExecutor: the same seed and worker count give the same search. The TestRunner travels
with every call and its harness state (decided on the baseline) comes back, so the driver grades
and reports as on one machine. The evaluations of an actor lost with its node go to the
surviving actors."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from treefix.errors import SandboxError, TreefixError, UsageError
from treefix.extras import MissingExtra, require
from treefix.protocols import Evaluation
from treefix.sandbox.backends import make_sandboxes
from treefix.testing.runner import TestRunner
from treefix.types import TestReport
from treefix.workspace.snapshot import snapshot

RAY_MISSING = "the ray SDK is not installed: pip install 'treefix[ray]'"


def require_ray() -> Any:
    try:
        return require("ray", RAY_MISSING)
    except MissingExtra as exc:
        raise UsageError(f"--executor ray: {exc}") from None


def connect(address: str | None) -> Any:
    """ray.init on the cluster at address (or a local one); a one-line error when unreachable."""
    ray = require_ray()
    if not ray.is_initialized():
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TreefixError(
                f"cannot reach the Ray cluster at {address or 'local'}: {first}"
            ) from None
    return ray



class SandboxActor:
    """Lives on a Ray node: one sandbox over a private copy of the snapshot."""

    def __init__(
        self, files: dict[str, Any], kind: str, image: str | None, options: object, run_id: str
    ):
        self.tmp = Path(tempfile.mkdtemp(prefix="treefix-actor-"))
        for rel, (data, mode) in files.items():
            p = self.tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            p.chmod(mode & 0o7777)
        self.sandbox = make_sandboxes(kind, snapshot(self.tmp), 1, run_id, image, options)[0]

    def info(self) -> tuple[str, str, str]:
        import ray

        return self.sandbox.kind, self.sandbox.isolation, ray.get_runtime_context().get_node_id()

    def run(self, runner: TestRunner, ev: Evaluation) -> tuple[TestReport, object, bool, str]:
        import ray

        tests = list(ev.tests) if ev.tests is not None else None
        report = runner.run(
            self.sandbox,
            ev.changed,
            tests,
            timeout=ev.timeout,
            per_test_timeout=ev.per_test_timeout,
            coverage=ev.coverage,
        )
        node = ray.get_runtime_context().get_node_id()
        return report, runner.harness, runner._probed, node

    def cancel(self) -> None:
        self.sandbox.cancel()

    def close(self) -> None:
        try:
            self.sandbox.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


class RayExecutor:
    def __init__(
        self,
        ray: Any,
        files: dict[str, Any],
        kind: str,
        image: str | None,
        options: object,
        run_id: str,
        runner: TestRunner,
        workers: int,
    ):
        self.ray = ray
        self.runner = runner
        # no restarts: with every CPU taken a restarted actor would wait forever; the evaluations
        # of an actor that died go to the surviving ones instead (run())
        actor = ray.remote(num_cpus=1, max_concurrency=2)(SandboxActor)
        ref = ray.put(files)  # once into the object store; every actor reads it from there
        self.actors = [
            actor.options(scheduling_strategy="SPREAD").remote(ref, kind, image, options, run_id)
            for _ in range(workers)
        ]
        infos = ray.get([a.info.remote() for a in self.actors])
        self.workers = workers
        self.kind, self.isolation = infos[0][0], infos[0][1]
        self.nodes = [i[2] for i in infos]  # where each actor (sandbox) lives
        self.ran_on: list[str] = []  # node of every evaluation, in order
        self.everyone = list(self.actors)  # killed on close, lost ones included
        self.lost = 0  # actors lost with their node
        self._cancelled = False
        self._closed = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def run(self, batch: Sequence[Evaluation]) -> list[TestReport]:
        if self._cancelled:
            raise KeyboardInterrupt
        ray, actors = self.ray, list(self.actors)
        pending: list[tuple[int, Any, Any]] = [
            (i, a, a.run.remote(self.runner, batch[i]))
            for i, a in ((i, actors[i % len(actors)]) for i in range(len(batch)))
        ]
        out: list[Any] = [None] * len(batch)
        while pending:
            i, actor, ref = pending.pop(0)
            try:
                out[i] = ray.get(ref)
            except ray.exceptions.RayActorError:  # its node is gone: evaluate it elsewhere
                if actor in self.actors:
                    self.actors.remove(actor)
                    self.lost += 1
                if not self.actors:
                    raise SandboxError("every Ray sandbox actor was lost with its node") from None
                other = self.actors[i % len(self.actors)]
                pending.append((i, other, other.run.remote(self.runner, batch[i])))
        for _, harness, probed, node in out:
            self.ran_on.append(node)
            if probed and not self.runner._probed:  # the baseline decided the harness
                self.runner.harness, self.runner._probed = harness, True
        return [r[0] for r in out]

    def cancel(self) -> None:
        self._cancelled = True
        for a in self.actors:
            a.cancel.remote()  # concurrent with a running evaluation (max_concurrency=2)

    def abort(self) -> None:
        self.cancel()
        for a in self.everyone:
            self.ray.kill(a)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.ray.get([a.close.remote() for a in self.actors], timeout=60)
        except Exception:  # an actor gone with its node has nothing left to close
            pass
        for a in self.everyone:
            self.ray.kill(a)
