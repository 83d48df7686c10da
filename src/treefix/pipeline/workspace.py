"""The stages that touch the user's repository: finishing an interrupted --apply, the refusal of
an impossible write-back before the search, the snapshot ref (and its clean-up), the write-back."""

from __future__ import annotations

import os
from pathlib import Path

from treefix.errors import TreefixError, WriteBackRefused
from treefix.markup import escape
from treefix.pipeline.events import Events
from treefix.pipeline.record import RunRecord
from treefix.workspace.apply import APPLY_DIR, recover_pending
from treefix.workspace.gitrepo import drop_snapshot as drop_git_snapshot
from treefix.workspace.gitrepo import record_snapshot
from treefix.workspace.snapshot import Project
from treefix.workspace.writeback import WriteBackResult, commit_message, preflight, write_back

__all__ = ["drop_snapshot", "preflight", "recover", "take_snapshot", "write_fix"]


def _unfinished_applies(path: str | os.PathLike[str]) -> int:
    base = Path(path) / APPLY_DIR
    try:
        return sum(1 for d in base.iterdir() if not (d / "journal.json").exists())
    except OSError:
        return 0


def recover(path: str, events: Events) -> None:
    """Finish an --apply a kill interrupted after its journal; sweep one killed before it."""
    unfinished = _unfinished_applies(path)
    recovered = recover_pending(path)
    if recovered:
        events.message(
            escape(f"finished an interrupted --apply from its journal: {', '.join(recovered)}")
        )
    elif unfinished:  # killed before its journal was committed: nothing had been written
        events.message(
            f"removed the leftovers of {unfinished} --apply interrupted before it wrote any file"
        )


def take_snapshot(record: RunRecord, project: Project) -> None:
    """Refuse a repo in the middle of a merge/rebase/...; record the tree in a private ref and
    prune the oldest ones."""
    record.git_snapshot = record_snapshot(project, record.run_id)


def drop_snapshot(record: RunRecord) -> None:
    """A run that leaves no trace does not keep its snapshot ref either."""
    drop_git_snapshot(record.project, record.git_snapshot)


def write_fix(record: RunRecord) -> TreefixError | None:
    """Carry out --apply/--branch/--commit for a validated fix; the refusal, when refused (the
    fix then stays in fix.patch and the report says why)."""
    plan = record.options.workflow.plan
    fix = record.result.fix if record.result is not None else None
    if plan.mode == "patch" or record.status != "fixed" or fix is None:
        return None
    assert record.project is not None
    added = _kept_test(record) if plan.mode in ("branch", "commit") else {}
    message = commit_message(
        sorted({*fix.state.changed(), *added}),
        [c.description for c in fix.chain()],
        record.baseline.targets if record.baseline else [],
        record.run_id,
    )
    try:
        result = write_back(plan, record.project, record.git_snapshot, fix.state, message, added)
    except TreefixError as exc:
        record.write_back = WriteBackResult(plan.mode)
        record.write_back.error = str(exc)
        return exc
    record.write_back = result
    record.applied = result.applied
    return _write_test(record)


def _kept_test(record: RunRecord) -> dict[str, bytes]:
    """--keep-test: the reproduction test, a new file --branch/--commit put in the fix's commit."""
    repro = record.reproduction
    if repro is None or not record.options.workflow.keep_test:
        return {}
    return {repro.path: repro.source.encode("utf-8")}


def _write_test(record: RunRecord) -> TreefixError | None:
    """--keep-test with --apply: the reproduction test is created beside the fix (never over an
    existing file); --branch/--commit commit it with the fix (write_back's `added`)."""
    repro, project = record.reproduction, record.project
    if repro is None or not record.options.workflow.keep_test or project is None:
        return None
    if record.options.workflow.plan.mode != "apply":
        return None
    target = project.root / repro.path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8") as fh:
            fh.write(repro.source)
    except OSError as exc:
        return WriteBackRefused(f"the reproduction test was not written: {exc}")
    record.applied.append(repro.path)
    return None
