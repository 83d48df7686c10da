"""One batch entry: its input (a local folder, or a clone of a git URL), the hash that decides
whether `--resume` may skip it, and its repair through `pipeline.main.run`.

`repair_files` is what a Ray task runs: the snapshot arrives as a files dict (through Ray's object
store), is written to a private temp folder on that node, repaired without write-back, and the
changed files travel back; the driver writes them back (batch/writeback.py), once."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from treefix.batch.manifest import Entry
from treefix.errors import GitError, TreefixError
from treefix.pipeline.cancel import Interrupt
from treefix.pipeline.main import run
from treefix.pipeline.options import RunOptions
from treefix.workspace.gitcmd import clone
from treefix.workspace.snapshot import Files, Project, read_files, snapshot
from treefix.workspace.writeback import WriteBackPlan


def checkout(entry: Entry, workdir: Path) -> Path:
    """The folder to repair: the entry's own, or a clone at its ref (reused when present)."""
    if entry.path is not None:
        return Path(entry.path)
    dest = workdir / "checkouts" / entry.name
    if not (dest / ".git").exists():
        try:
            clone(str(entry.url), dest, entry.ref)
        except GitError as exc:
            raise TreefixError(f"{entry.name}: cannot clone {entry.url}: {exc}") from None
    return dest


def input_hash(files: Files, settings: dict[str, object], test_cmd: str | None) -> str:
    """Same snapshot, settings and command -> same hash: a stored result still holds."""
    h = hashlib.sha256()
    for rel, (data, mode) in sorted(files.items()):
        h.update(rel.encode() + b"\0" + str(mode & 0o111).encode() + b"\0")
        h.update(hashlib.sha256(data).digest())
    h.update(json.dumps({"settings": settings, "test_cmd": test_cmd}, sort_keys=True).encode())
    return h.hexdigest()


def take(folder: Path) -> tuple[Project, Files]:
    project = snapshot(folder)
    return project, read_files(project)


def repair_folder(
    folder: str,
    values: dict[str, object],
    plan: WriteBackPlan,
    interrupt: Interrupt | None = None,
) -> dict:
    """Repair one folder in this process; the run's outcome as a plain dict (never raises a
    TreefixError: a failed entry is a result like any other)."""
    t0 = time.monotonic()
    out: dict = {"host": socket.gethostname(), "pid": os.getpid(), "node": _ray_node()}
    try:
        outcome = run(RunOptions.build(folder, values, plan=plan), interrupt=interrupt)
    except TreefixError as exc:
        out.update(status="error", exit_code=exc.exit_code, message=str(exc))
    else:
        report = outcome.report or {}
        out.update(
            status=outcome.status,
            exit_code=outcome.exit_code,
            message=outcome.message,
            report=report,
            changed=_changed(outcome),
        )
    out["seconds"] = round(time.monotonic() - t0, 3)
    return out


def repair_files(files: Files, values: dict[str, object]) -> dict:
    """A Ray task's body: the snapshot in a temp folder of this node, repaired, then removed."""
    node = (_ray_node() or "local")[:8]  # which node holds it, for whoever looks in /tmp
    tmp = Path(tempfile.mkdtemp(prefix=f"treefix-batch-{node}-"))
    try:
        for rel, (data, mode) in files.items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            os.chmod(p, mode & 0o7777)
        interrupt = Interrupt()
        previous = _cancel_on_sigint(interrupt)
        try:
            return repair_folder(str(tmp), values, WriteBackPlan(), interrupt=interrupt)
        finally:
            if previous is not None:
                import signal

                signal.signal(signal.SIGINT, previous)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cancel_on_sigint(interrupt: Interrupt) -> Any:
    """ray.cancel reaches a task as SIGINT (interrupt_main): as in the console script, the
    repair's executor stops its runs first, then KeyboardInterrupt unwinds the repair, which
    removes its sandboxes. A bare KeyboardInterrupt can land where a run swallows it, and the
    repair then went on until the driver killed it, leaving its folders behind."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: object) -> None:
        interrupt.cancel("Ctrl-C")
        raise KeyboardInterrupt

    return signal.signal(signal.SIGINT, handler)


def _changed(outcome) -> dict[str, bytes]:
    res = outcome.record.result
    fix = res.fix if res is not None else None
    return dict(fix.state.changed()) if fix is not None and outcome.status == "fixed" else {}


def _ray_node() -> str | None:
    import sys

    if "ray" not in sys.modules:  # inside a Ray worker it is already imported
        return None
    import ray

    return ray.get_runtime_context().get_node_id() if ray.is_initialized() else None


def written(raw: dict, wb: dict) -> None:
    """A --branch/--commit write-back's commit and ref, or why it was refused, into the result."""
    if wb.get("mode") in ("branch", "commit"):
        raw["commit"], raw["ref"] = wb.get("commit"), wb.get("ref")
    if wb.get("error"):
        raw["message"] = f"{raw.get('message') or ''}; not written back: {wb['error']}".lstrip("; ")
