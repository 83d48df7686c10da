"""The local backend: one entry at a time in this process (each repair has its own workers);
the pipeline itself writes a fix back (--apply, --branch or --commit)."""

from __future__ import annotations

from treefix.batch.driver import Prepared
from treefix.batch.entry import repair_folder, written
from treefix.pipeline.cancel import Interrupt
from treefix.workspace.writeback import WriteBackPlan


class LocalBackend:
    slots = 1

    def __init__(self, plan: WriteBackPlan, interrupt: Interrupt | None = None):
        self.plan = plan
        self.interrupt = interrupt
        self._done: list[tuple[Prepared, dict]] = []

    def submit(self, job: Prepared) -> None:
        raw = repair_folder(str(job.folder), job.values, self.plan, self.interrupt)
        wb = ((raw.get("report") or {}).get("write_back")) or {}
        raw["written_back"] = list(wb.get("applied") or [])
        written(raw, wb)
        self._done.append((job, raw))

    def wait(self) -> list[tuple[Prepared, dict]]:
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        pass
