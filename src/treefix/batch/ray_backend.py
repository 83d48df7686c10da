"""The Ray backend: every entry is a Ray task (bounded retries when its node dies). The snapshot
travels through Ray's object store (ray.put of the files dict), never a shared file system, and
a fix is written back here, on the driver, once the task has returned: a retried task can never
write twice."""

from __future__ import annotations

from treefix.batch.driver import BatchOptions, Prepared
from treefix.batch.entry import repair_files, written
from treefix.errors import EXIT_ENVIRONMENT, TreefixError
from treefix.executors.ray import connect
from treefix.types import ProgramState
from treefix.workspace.writeback import commit_message, write_back

# seconds a cancelled repair has to remove its sandboxes and temp folder before it is killed: a
# few normally, tens on a loaded machine (20 s left folders behind at a load average of 16)
GRACE = 60.0


class RayBackend:
    def __init__(self, opts: BatchOptions):
        self.ray = ray = connect(opts.ray_address)
        self.plan = opts.plan
        # one repair per CPU of the cluster; each repair brings its own sandboxes
        self.slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._task = ray.remote(num_cpus=1, max_retries=opts.max_retries)(repair_files)
        self._pending: dict = {}  # ObjectRef -> Prepared

    def submit(self, job: Prepared) -> None:
        files = self.ray.put(job.files)  # the snapshot, through the object store
        self._pending[self._task.remote(files, job.values)] = job

    def wait(self) -> list[tuple[Prepared, dict]]:
        ray = self.ray
        ready, _ = ray.wait(list(self._pending), num_returns=1)
        out = []
        for ref in ready:
            job = self._pending.pop(ref)
            try:
                raw = ray.get(ref)
            except ray.exceptions.RayError as exc:  # retries spent: node lost for good
                raw = {
                    "status": "error",
                    "exit_code": EXIT_ENVIRONMENT,
                    "message": f"ray: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                }
            raw["written_back"] = self._write_back(job, raw)
            out.append((job, raw))
        return out

    def _write_back(self, job: Prepared, raw: dict) -> list[str]:
        """The task's fix into the user's repository, here on the driver, once: --apply writes
        the files, --branch/--commit commit them on the snapshot prepare() recorded."""
        changed = raw.get("changed") or {}
        mode = self.plan.mode
        if mode == "patch" or not changed or raw.get("status") != "fixed" or job.project is None:
            return []
        report = raw.get("report") or {}
        message = commit_message(
            sorted(changed),
            [e["description"] for e in (report.get("fix") or {}).get("edits", [])],
            report.get("targets") or [],
            report.get("run_id") or "",
        )
        state = ProgramState(job.project.sources, changed)
        try:
            result = write_back(self.plan, job.project, job.snap, state, message)
        except TreefixError as exc:  # the user's file changed since the snapshot: keep the patch
            written(raw, {"error": str(exc)})
            return []
        written(raw, result.as_dict())
        return result.applied

    def close(self) -> None:
        """Cancel what still runs: first as a KeyboardInterrupt inside each task (its repair then
        removes its sandboxes and temp folder), then by force for what is still there."""
        ray = self.ray
        refs = list(self._pending)
        self._pending.clear()
        for force in (False, True):
            for ref in refs:
                try:
                    ray.cancel(ref, force=force)
                except Exception:  # the task may already be gone with its node
                    pass
            if refs and not force:
                _, refs = ray.wait(refs, num_returns=len(refs), timeout=GRACE)
        ray.shutdown()
