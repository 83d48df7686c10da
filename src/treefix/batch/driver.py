"""The batch loop: prepare every entry (checkout, snapshot, settings, input hash), skip what
--resume may skip, hand the rest to a backend (in this process, or Ray tasks) within the batch's
cost budget, and store each result as it arrives."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from treefix.batch.entry import Files, checkout, input_hash, take
from treefix.batch.manifest import Entry
from treefix.batch.store import OK_STATUSES, Store, summary, write_summary
from treefix.config import resolve
from treefix.errors import TreefixError
from treefix.report.folder import new_run_id
from treefix.workspace.gitrepo import Snapshot, record_snapshot
from treefix.workspace.snapshot import Project
from treefix.workspace.writeback import WriteBackPlan, preflight


@dataclass
class BatchOptions:
    output: Path
    values: dict[str, object] = field(default_factory=dict)  # settings given to every entry
    resume: bool = False
    apply: bool = False  # write each fix into its working tree (all files or none)
    branch: str | None = None  # or commit each fix on a new branch of its repository
    commit: bool = False  # or commit each fix on its repository's current branch
    max_cost_usd: float | None = None  # across the whole batch
    executor: str = "local"  # local | ray
    ray_address: str | None = None
    max_retries: int = 2  # Ray: re-runs of an entry whose node died

    @property
    def plan(self) -> WriteBackPlan:
        """How fixes are written back (one of --apply/--branch/--commit, or none)."""
        return WriteBackPlan.from_flags(self.apply, self.branch, self.commit)


@dataclass
class Prepared:
    entry: Entry
    folder: Path
    project: Project | None
    files: Files
    values: dict[str, object]
    input_hash: str
    cap: float | None = None  # the model budget this entry was given
    # --branch/--commit on Ray: the tree the task repairs, recorded here, before it runs (the
    # commit is made on the driver, from this snapshot, as a local run makes it)
    snap: Snapshot | None = None


class Backend(Protocol):
    slots: int  # entries in flight at once

    def submit(self, job: Prepared) -> None: ...

    def wait(self) -> list[tuple[Prepared, dict]]:
        """At least one finished job (blocks), with its raw result."""
        ...

    def close(self) -> None: ...


class Progress(Protocol):
    def start(self, name: str) -> None: ...
    def done(self, result: dict) -> None: ...
    def stop(self) -> None: ...


def prepare(entry: Entry, opts: BatchOptions) -> Prepared | dict:
    """The entry ready to run, or its error result (a clone that failed, a bad folder)."""
    try:
        folder = checkout(entry, opts.output)
        project, files = take(folder)
        values = dict(resolve(folder, {}).values)
        values.update(opts.values)
        values.update(entry.settings)  # the manifest's own settings win over the batch's flags
        if entry.test_cmd is not None:
            values["test_cmd"] = entry.test_cmd
    except TreefixError as exc:
        return _failed(entry, exc)
    test_cmd = values.get("test_cmd")
    digest = input_hash(files, values, test_cmd if isinstance(test_cmd, str) else None)
    job = Prepared(entry, folder, project, files, values, digest)
    plan = opts.plan
    if plan.mode in ("branch", "commit"):
        try:  # not a git repo, a rebase under way, a taken branch name: said before any search
            preflight(plan, str(folder))
            if opts.executor == "ray":
                job.snap = record_snapshot(project, new_run_id())
        except TreefixError as exc:
            return _failed(entry, exc)
    return job


def _failed(entry: Entry, exc: TreefixError) -> dict:
    return {
        "name": entry.name,
        "source": entry.path or entry.url,
        "status": "error",
        "exit_code": exc.exit_code,
        "message": str(exc),
        "seconds": 0.0,
    }


def run_batch(
    entries: list[Entry],
    opts: BatchOptions,
    backend: Backend,
    progress: Progress,
    stopped: Callable[[], bool] = lambda: False,
) -> dict:
    t0 = time.monotonic()
    store = Store(opts.output)
    results: dict[str, dict] = {}
    queue: list[Prepared] = []
    t_prep = time.monotonic()
    for entry in entries:
        job = prepare(entry, opts)
        if isinstance(job, dict):
            results[entry.name] = job
            store.save(dict(job))
            progress.done(job)
            continue
        old = store.stored(entry.name, job.input_hash) if opts.resume else None
        if old is not None:
            results[entry.name] = {**old, "resumed": True}
            progress.done(results[entry.name])
            continue
        queue.append(job)
    prepare_seconds = time.monotonic() - t_prep  # serial on the driver: bounds the scale-out
    spent = sum((r.get("cost_usd") or 0.0) for r in results.values())
    in_flight: dict[str, Prepared] = {}
    try:
        while (queue or in_flight) and not stopped():
            while queue and len(in_flight) < backend.slots:
                cap = _cap(queue[0], opts.max_cost_usd, spent, in_flight)
                if cap is None:
                    break  # the batch budget is reserved by running entries: wait for them
                job = queue.pop(0)
                if cap < 0:  # nothing left for this one
                    results[job.entry.name] = _over_budget(job)
                    store.save(dict(results[job.entry.name]))
                    progress.done(results[job.entry.name])
                    continue
                job.cap = cap
                if opts.max_cost_usd is not None:
                    job.values["max_cost_usd"] = cap
                in_flight[job.entry.name] = job
                progress.start(job.entry.name)
                backend.submit(job)
            if not in_flight:
                continue
            for job, raw in backend.wait():
                in_flight.pop(job.entry.name, None)
                result = _result(job, raw)
                spent += result.get("cost_usd") or 0.0
                results[job.entry.name] = result
                store.save(result)
                progress.done(result)
    except KeyboardInterrupt:
        pass  # the entries in flight are recorded as interrupted below
    finally:
        progress.stop()
    for job in queue + list(in_flight.values()):  # interrupted: never started or cut short
        results.setdefault(
            job.entry.name,
            {
                "name": job.entry.name,
                "source": job.entry.path or job.entry.url,
                "status": "interrupted",
                "exit_code": 130,
                "message": "batch interrupted",
                "seconds": 0.0,
            },
        )
    ordered = [results[e.name] for e in entries if e.name in results]
    data = summary(
        ordered,
        {
            "executor": opts.executor,
            "seconds": round(time.monotonic() - t0, 3),
            "max_cost_usd": opts.max_cost_usd,
            "output": str(opts.output),
            "prepare_seconds": round(prepare_seconds, 3),
        },
    )
    write_summary(opts.output, data)
    return data


def _cap(
    job: Prepared, total: float | None, spent: float, in_flight: dict[str, Prepared]
) -> float | None:
    """The entry's model budget within the batch's: its own, at most what is left once the
    running entries' budgets are reserved. None: wait; negative: none is left."""
    own = job.values.get("max_cost_usd")
    if total is None:
        return float(own) if isinstance(own, float | int) else 0.0
    left = total - spent - sum(j.cap or 0.0 for j in in_flight.values())
    if left <= 0:
        return None if in_flight else -1.0
    return min(float(own), left) if isinstance(own, float | int) else left


def _over_budget(job: Prepared) -> dict:
    return {
        "name": job.entry.name,
        "source": job.entry.path or job.entry.url,
        "input_hash": job.input_hash,
        "status": "budget_exhausted",
        "exit_code": 1,
        "message": "the batch's --max-cost-usd was spent before this entry",
        "seconds": 0.0,
    }


def _result(job: Prepared, raw: dict) -> dict:
    result = {
        "name": job.entry.name,
        "source": job.entry.path or job.entry.url,
        "input_hash": job.input_hash,
        **raw,
    }
    result.pop("changed", None)
    return result


def finished_ok(data: dict) -> bool:
    return all(r["status"] in OK_STATUSES for r in data["results"])


def exit_code(data: dict) -> int:
    """0 every entry fixed or nothing to repair; 130 interrupted; 1 otherwise."""
    if any(r["status"] == "interrupted" for r in data["results"]):
        return 130
    return 0 if finished_ok(data) else 1
