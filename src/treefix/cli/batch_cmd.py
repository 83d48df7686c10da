"""`treefix batch MANIFEST`: one repair per entry with a live table, then the summary (terminal
table, batch.json, batch.md in the output folder). Exit 0 when every entry ended fixed or with
nothing to repair, 1 otherwise, 2 bad manifest or options, 3 executor unavailable, 130 Ctrl-C."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from treefix.batch.driver import Backend, BatchOptions, exit_code, run_batch
from treefix.batch.local import LocalBackend
from treefix.batch.manifest import load
from treefix.batch.progress import LiveProgress, table
from treefix.batch.ray_backend import RayBackend
from treefix.cli import signals
from treefix.errors import UsageError
from treefix.pipeline.cancel import Interrupt


def run_batch_cmd(manifest: str, opts: BatchOptions, console: Console) -> int:
    entries = load(manifest)
    if opts.executor not in ("local", "ray"):
        raise UsageError(f"--executor must be local or ray, not {opts.executor!r}")
    plan = opts.plan  # --apply, --branch and --commit exclude each other: said before any run
    interrupt = Interrupt()
    backend: Backend = RayBackend(opts) if opts.executor == "ray" else LocalBackend(plan, interrupt)
    signals.watch(interrupt)
    try:
        progress = LiveProgress(console, [e.name for e in entries], backend.slots)
        data = run_batch(entries, opts, backend, progress, lambda: interrupt.reason is not None)
    finally:
        signals.watch(None)
        backend.close()
    console.print(table(data["results"]))
    console.print(
        f"{data['entries']} entries · {data['fixed']} fixed · ${data['cost_usd']:.4f} · "
        f"{data['seconds']:.1f}s · summary in {Path(opts.output) / 'batch.md'}",
        highlight=False,
        soft_wrap=True,
    )
    return exit_code(data)
