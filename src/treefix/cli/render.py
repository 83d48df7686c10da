"""What a person sees on stderr: the run header, live search progress, and the final panel."""

from __future__ import annotations

import time

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.status import Status
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from treefix.pipeline.events import Events
from treefix.search.mcts import Budget, SearchStats
from treefix.search.reward import Baseline
from treefix.search.tree import Node
from treefix.types import Suspicion, TestReport


class RichEvents(Events):
    def __init__(self, console: Console, verbose: bool = False):
        self.console = console
        self.verbose = verbose
        self.start = time.monotonic()
        self._status: Status | None = None  # the spinner of the stage in progress
        self._last = 0.0
        self._model = ""  # live model figures: calls, tokens, cost

    def header(self, info: dict) -> None:
        self.console.print(
            f"[bold]treefix[/] repairing [cyan]{escape(str(info['project']))}[/]\n"
            f"  tests: [green]{escape(str(info['command']))}[/]   sandbox: {info['sandbox']} x{info['workers']}\n"
            f"  isolation: {escape(str(info['isolation']))}"
            + (f"\n  focus: {escape(str(info['focus']))}" if info.get("focus") else "")
        )
        self._status = self.console.status("running the baseline...")
        self._status.start()

    def baseline(self, report: TestReport, baseline: Baseline | None) -> None:
        if self._status:
            self._status.stop()
        n_fail = len(report.failing())
        self.console.print(
            f"baseline: [bold]{report.status.value}[/] ({len(report.passing())} passed, {n_fail} failing, "
            f"{report.duration:.2f}s)"
        )
        if baseline and baseline.flaky:
            self.console.print(
                f"[yellow]flaky (failed, then passed on a re-run; excluded):[/] {escape(', '.join(baseline.flaky))}"
            )
        if baseline:
            for t in baseline.targets[:8]:
                msg = report.tests[t].message if t in report.tests else ""
                self.console.print(f"  [red]x[/] {escape(t)}  [dim]{escape(msg[:100])}[/]")
            if len(baseline.targets) > 8:
                self.console.print(f"  ... and {len(baseline.targets) - 8} more")

    def localized(self, focus: list[Suspicion]) -> None:
        if focus:
            top = escape(", ".join(f"{s.path}:{s.line} ({s.score:.2f})" for s in focus[:3]))
            self.console.print(f"suspicious: {top}")
        self._status = self.console.status("searching...")
        self._status.start()

    def node(self, node: Node, stats: SearchStats, budget: Budget) -> None:
        if self._status is None:
            return
        left = max(0.0, budget.deadline - time.monotonic())
        self._status.update(
            f"searching: {stats.evaluations}/{budget.max_evals} evaluations, best reward {stats.best_reward:.2f}, "
            f"depth {stats.max_depth}, {time.monotonic() - self.start:.1f}s elapsed, {left:.0f}s left"
            + self._model
        )
        if self.verbose and node.candidate is not None:
            self.console.print(
                f"  [dim]#{node.id} d{node.depth} {escape(node.candidate.description)} -> "
                f"{node.report.status.value if node.report else '?'} r={node.reward:.2f}[/]"
            )

    def message(self, text: str) -> None:
        self.console.print(text, soft_wrap=True, highlight=False)  # commands stay copyable

    def model(self, stats: dict) -> None:
        self._model = ", model " + model_figures(stats)
        if self._status is not None:
            self._status.update(f"searching: model {model_figures(stats)}")

    def stop(self) -> None:
        if self._status:
            self._status.stop()
            self._status = None


def model_figures(m: dict) -> str:
    tokens = (
        m["input_tokens"] + m["output_tokens"] + m["cache_read_tokens"] + m["cache_write_tokens"]
    )
    cost = "cost unknown" if m.get("cost_usd") is None else f"${m['cost_usd']:.4f}"
    cached = f" (+{m['cached']} cached)" if m.get("cached") else ""
    return f"{m['calls']} calls{cached}, {tokens} tokens, {cost}"


def alternatives_lines(alts: list[dict], shown: int = 5) -> list[Text]:
    """The validated fixes not picked: their changed lines and why they rank below the pick."""
    if not alts:
        return []
    out = [Text(f"other validated fixes ({len(alts)}), ranked:", style="bold")]
    for alt in alts[:shown]:
        out.append(Text(f"  #{alt['rank']} " + "; ".join(alt["reasons"]), style="dim"))
        changed = [
            line
            for line in alt["patch"].splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        for line in changed[:4]:
            out.append(Text("     " + line, style="green" if line[0] == "+" else "red"))
    if len(alts) > shown:
        out.append(Text(f"  ... and {len(alts) - shown} more in report.json", style="dim"))
    return out


def final_panel(report: dict) -> Panel:
    status = report["status"]
    search = report.get("search") or {}
    figures = Table.grid(padding=(0, 2))
    figures.add_row(
        "evaluations",
        str(search.get("evaluations", 0)),
        "elapsed",
        f"{search.get('elapsed', 0):.1f}s",
    )
    if search.get("evals_to_first_fix"):
        figures.add_row(
            "first fix after",
            f"{search['evals_to_first_fix']} evaluations",
            "stop",
            search.get("stop_reason", ""),
        )
    model = report.get("model")
    if model:
        figures.add_row("model", model["name"], "usage", model_figures(model))
        if model.get("degraded"):
            figures.add_row("", "", "note", "fell back to mutation only")
    if search.get("pick_reason"):
        figures.add_row("picked", search["pick_reason"][:80], "", "")
    parts: list = [figures]
    if report.get("fix"):
        fix = report["fix"]
        for e in fix["edits"]:
            parts.append(Text(f"- {e['path']}:{e['line']} [{e['operator']}] {e['description']}"))
        parts.append(Syntax(fix["patch"], "diff", theme="ansi_dark", background_color="default"))
        if fix.get("applied"):
            parts.append(Text(f"applied to {', '.join(fix['applied'])}", style="green"))
        else:
            parts.append(
                Text(
                    "not applied (use --apply); saved as " + report["run_dir"] + "/fix.patch",
                    style="dim",
                )
            )
        if fix.get("rank_reasons"):
            parts.append(Text("ranked: " + ", ".join(fix["rank_reasons"]), style="dim"))
    parts += alternatives_lines(report.get("alternatives") or [])
    title = {
        "fixed": "[green]fixed[/]",
        "no_fix": "[red]no fix found[/]",
        "nothing_to_repair": "[green]nothing to repair[/]",
        "interrupted": "[yellow]interrupted[/]",
        "provider_error": "[red]model provider error[/]",
    }.get(status, status)
    return Panel(Group(Text(report.get("message", "")), *parts), title=title, expand=False)
