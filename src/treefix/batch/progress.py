"""The live progress table on stderr (done / fixed / failed / running, ETA) and the final table;
on a non-terminal one line per finished entry instead."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from treefix.batch.store import OK_STATUSES

STYLE = {"fixed": "green", "nothing_to_repair": "green", "running": "cyan", "pending": "dim"}


class LiveProgress:
    def __init__(self, console: Console, names: list[str], slots: int = 1):
        self.console = console
        self.state: dict[str, dict[str, Any]] = {
            n: {"name": n, "status": "pending"} for n in names
        }
        self.slots = max(1, slots)
        self.t0 = time.monotonic()
        self.durations: list[float] = []
        self.live = (
            Live(self, console=console, auto_refresh=True, transient=True)
            if console.is_terminal
            else None
        )
        if self.live is not None:
            self.live.start()

    def start(self, name: str) -> None:
        self.state[name] = {"name": name, "status": "running", "since": time.monotonic()}

    def done(self, result: dict) -> None:
        self.state[result["name"]] = result
        if not result.get("resumed") and result.get("seconds"):
            self.durations.append(result["seconds"])
        if self.live is None:
            self.console.print(
                f"{escape(result['name'])}: {result['status']}"
                + (" (resumed)" if result.get("resumed") else "")
                + f" {escape(str(result.get('message', '')))}",
                highlight=False,
                soft_wrap=True,
            )

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def counts(self) -> str:
        rows = list(self.state.values())
        done = [r for r in rows if r["status"] not in ("pending", "running")]
        fixed = sum(r["status"] in OK_STATUSES for r in done)
        running = sum(r["status"] == "running" for r in rows)
        left = len(rows) - len(done)
        eta = ""
        if self.durations and left:
            mean = sum(self.durations) / len(self.durations)
            eta = f" · ETA {mean * left / self.slots:.0f}s"
        return (
            f"done {len(done)}/{len(rows)} · ok {fixed} · failed {len(done) - fixed} · "
            f"running {running}{eta}"
        )

    def __rich__(self) -> Group:
        return Group(self.counts(), table(list(self.state.values())))


def table(rows: list[dict]) -> Table:
    t = Table(box=None, pad_edge=False)
    for col in ("entry", "status", "seconds", "evals", "node"):
        t.add_column(col)
    now = time.monotonic()
    for r in rows:
        secs = r.get("seconds")
        if r["status"] == "running":
            secs = now - r.get("since", now)
        style = STYLE.get(r["status"], "red")
        status = r["status"] + (" (resumed)" if r.get("resumed") else "")
        t.add_row(
            escape(r["name"]),
            f"[{style}]{escape(status)}[/]",
            f"{secs:.1f}" if secs is not None else "",
            str(r.get("evaluations") or ""),
            escape(str(r.get("host") or "")),
        )
    return t
