"""The Ray Executor: candidate evaluations of one repair go to Ray actors, each holding one warm
sandbox on its node, built from the snapshot that travels through Ray's object store.

Evaluation i of a batch goes to actor i mod n and results come back in submission order, as with
the ThreadExecutor: the same seed and worker count give the same search. The TestRunner travels
with every call and its harness state (decided on the baseline) comes back, so the driver grades
and reports as on one machine. The evaluations of an actor lost with its node go to the
surviving actors."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from treefix.errors import SandboxError, TreefixError, UsageError
from treefix.executors import reaper
from treefix.extras import MissingExtra, require
from treefix.protocols import Evaluation
from treefix.sandbox.backends import make_sandboxes
from treefix.testing.command import TestCommand
from treefix.testing.harness import Harness
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
        _events_to_stderr()
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


@dataclass
class Decisions:
    """What a TestRunner decides on the baseline (how the plugin grades, warm or cold) and keeps
    for the whole repair. The ThreadExecutor's workers share one runner; Ray actors each hold
    their own, so the decisions travel: the driver's to every run, the baseline's back."""

    command: TestCommand
    mode: str
    harness: Harness
    probed: bool
    decided: bool
    modules: list[str] | None
    cold_why: str

    @classmethod
    def of(cls, r: TestRunner) -> Decisions:
        return cls(r.command, r.mode, r.harness, r._probed, r._decided, r._modules, r._cold_why)

    def apply(self, r: TestRunner) -> None:
        """Into r, in place: the pipeline holds on to r.harness."""
        r.mode, r._probed, r._decided = self.mode, self.probed, self.decided
        r._modules, r._cold_why = self.modules, self.cold_why
        vars(r.harness).update(vars(self.harness))


def _events_to_stderr() -> None:
    """Ray's driver prints cluster events (a node marked dead...) on stdout, where treefix
    writes its JSON report or diff: they go to stderr instead. Ray keeps this printer private;
    without it nothing changes."""
    import ray._private.worker as worker

    printer = getattr(worker, "print_to_stdstream", None)
    if printer is None or getattr(printer, "treefix", False):
        return

    def to_stderr(data: dict[str, Any], ignore_prefix: bool) -> None:
        printer({**data, "is_err": True}, ignore_prefix)

    to_stderr.treefix = True  # type: ignore[attr-defined]
    worker.print_to_stdstream = to_stderr


class SandboxActor:
    """Lives on a Ray node: one sandbox over a private copy of the snapshot."""

    def __init__(
        self,
        files: dict[str, Any],
        kind: str,
        image: str | None,
        options: object,
        run_id: str,
        root: str = "",
    ):
        import ray

        node = ray.get_runtime_context().get_node_id()[:8]  # which node holds it, for who looks
        # Everything this actor puts on its node lives in one folder: the snapshot's copy in
        # project/, and (temp files of this actor process) the sandbox's scratch copy, so one
        # removal undoes it all - by close(), or by the reaper when the actor is killed first.
        self.tmp = Path(tempfile.mkdtemp(prefix=f"treefix-actor-{node}-"))
        project = self.tmp / "project"
        (self.tmp / "tmp").mkdir()
        tempfile.tempdir = str(self.tmp / "tmp")  # this process is the actor's own
        reaper.watch(os.getpid(), self.tmp, docker=kind == "docker")
        self.runner: TestRunner | None = None  # made on the first run; holds the warm server
        self.sandbox: Any = None
        # A node that cannot run the chosen backend (no engine, image not built there) is the
        # user's to fix: the error goes back to the driver as it is, not as a lost actor.
        self.failed: TreefixError | None = None
        try:
            for rel, (data, mode) in files.items():
                p = project / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(data)
                p.chmod(mode & 0o7777)
            project.mkdir(exist_ok=True)
            self.sandbox = make_sandboxes(kind, snapshot(project), 1, run_id, image, options)[0]
        except TreefixError as exc:  # named by the user's path, not this actor's copy
            exc.args = (str(exc).replace(str(project), root or str(project)),)
            self.failed = exc
            shutil.rmtree(self.tmp, ignore_errors=True)
        # one run at a time in the sandbox: a lost actor's evaluation re-sent here must wait for
        # the one in flight (max_concurrency=2 is for cancel(), not for two runs in one folder)
        self._one = threading.Lock()

    def info(self) -> tuple[str, str, str, TreefixError | None]:
        import ray

        node = ray.get_runtime_context().get_node_id()
        if self.failed is not None:
            return "", "", node, self.failed
        return self.sandbox.kind, self.sandbox.isolation, node, None

    def run(self, decided: Decisions, ev: Evaluation) -> tuple[TestReport, Decisions, int, str]:
        """One evaluation with this actor's own runner (its warm server stays here), graded as
        the driver decided; the runner's decisions come back (the baseline makes them)."""

        with self._one:
            return self._run(decided, ev)

    def _run(self, decided: Decisions, ev: Evaluation) -> tuple[TestReport, Decisions, int, str]:
        import ray

        if self.runner is None:
            self.runner = TestRunner(decided.command, decided.mode)
        decided.apply(self.runner)
        warm_before = self.runner.warm_runs
        report = self.runner.evaluate(self.sandbox, ev)
        node = ray.get_runtime_context().get_node_id()
        return report, Decisions.of(self.runner), self.runner.warm_runs - warm_before, node

    def cancel(self) -> None:
        if self.sandbox is not None:
            self.sandbox.cancel()

    def close(self) -> None:
        # A container holds its own copy, so its folder goes first: the driver kills an actor
        # whose close outlasts its grace (a slow engine under load). A local sandbox's runs
        # work in the scratch inside the folder: it goes after them. The reaper covers a kill.
        try:
            if self.sandbox is not None and self.sandbox.kind == "docker":
                shutil.rmtree(self.tmp, ignore_errors=True)
            if self.runner is not None:
                self.runner.close()
            if self.sandbox is not None:
                self.sandbox.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


class RayExecutor:
    # how long the actors get to close their sandboxes before they are killed (the reaper then
    # removes what they leave)
    close_grace = 60.0

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
        say: Callable[[str], None] = lambda text: None,
        root: str = "",
    ):
        self.ray = ray
        self.runner = runner
        self.say = say  # the run's events: a lost node is worth a line
        # no restarts: with every CPU taken a restarted actor would wait forever; the evaluations
        # of an actor that died go to the surviving ones instead (run())
        actor = ray.remote(num_cpus=1, max_concurrency=2)(SandboxActor)
        ref = ray.put(files)  # once into the object store; every actor reads it from there
        self.actors = [
            actor.options(scheduling_strategy="SPREAD").remote(
                ref, kind, image, options, run_id, root
            )
            for _ in range(workers)
        ]
        self.everyone = list(self.actors)  # killed on close, lost ones included
        self.workers = workers
        self.ran_on: list[str] = []  # node of every evaluation, in order
        self.lost = 0  # actors lost with their node
        self._cancelled = False
        self._closed = False
        self.sandbox_peak_mb: float | None = None  # not gathered from the actors
        try:
            infos = self._started(ray)
        except BaseException:  # Ctrl-C while the actors start: none may outlive the run
            self.close()
            raise
        self.kind, self.isolation = infos[0][0], infos[0][1]
        self.nodes = [i[2] for i in infos]  # where each actor (sandbox) lives

    def _started(self, ray: Any) -> list[tuple[str, str, str]]:
        """Each actor's sandbox kind, isolation and node; an actor lost with its node while
        starting is dropped (the others do its share). A node that cannot make the sandbox
        ends the run with its error, naming the node."""
        refs = [(a, a.info.remote()) for a in self.actors]
        infos = []
        for actor, ref in refs:
            try:
                kind, isolation, node, failed = ray.get(ref)
            except ray.exceptions.RayActorError:
                self.actors.remove(actor)
                self.lost += 1
                self.say("ray: a sandbox actor was lost with its node while starting")
                continue
            if failed is not None:
                failed.args = (f"ray node {node[:8]}: {failed}",)
                raise failed
            infos.append((kind, isolation, node))
        if not self.actors:
            raise SandboxError("every Ray sandbox actor was lost with its node")
        return infos

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def sandbox_cpu(self) -> float | None:
        return None  # the actors' sandboxes live on other machines' clocks: not gathered

    def run(self, batch: Sequence[Evaluation]) -> list[TestReport]:
        if self._cancelled:
            raise KeyboardInterrupt
        ray, actors = self.ray, list(self.actors)
        decided = Decisions.of(self.runner)
        pending: list[tuple[int, Any, Any]] = [
            (i, a, a.run.remote(decided, batch[i]))
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
                    self.say(
                        f"ray: a sandbox actor was lost with its node; its evaluations run "
                        f"again on the {len(self.actors)} other actor(s)"
                    )
                if not self.actors:
                    raise SandboxError("every Ray sandbox actor was lost with its node") from None
                other = self.actors[i % len(self.actors)]
                pending.append((i, other, other.run.remote(decided, batch[i])))
        for _, theirs, warm, node in out:  # in submission order, as one shared runner would
            self.ran_on.append(node)
            self.runner.warm_runs += warm
            if theirs != Decisions.of(self.runner):  # the baseline decided, or the plugin failed
                theirs.apply(self.runner)
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
            self.ray.get([a.close.remote() for a in self.actors], timeout=self.close_grace)
        except Exception:  # an actor gone with its node has nothing left to close
            pass
        for a in self.everyone:
            self.ray.kill(a)
