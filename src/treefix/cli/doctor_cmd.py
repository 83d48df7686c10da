"""`treefix doctor`: what this machine offers treefix."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from treefix.errors import TreefixError
from treefix.executors.ray import RAY_MISSING, connect
from treefix.extras import MissingExtra, require
from treefix.models.registry import PROVIDERS
from treefix.propose.registry import PROPOSERS
from treefix.sandbox.backends import SANDBOXES

Row = tuple[str, bool, str]  # (check, ok, detail)


def _module(name: str) -> tuple[bool, str]:
    try:
        from importlib.metadata import version

        return True, version(name)
    except Exception:
        return False, "not installed"


def _registered() -> tuple[list[Row], list[Row], list[Row]]:
    """Rows from the registries: each sandbox backend's and model provider's own checks, the
    offline proposers, and which keys and endpoints the environment sets (never their values)."""
    sandboxes = [row for entry in SANDBOXES for row in entry.load().doctor()]
    offline = ", ".join(f"{e.name} (offline)" for e in PROPOSERS if not e.needs_model)
    providers = [row for entry in PROVIDERS for row in entry.load().doctor()]
    keys = [k for e in PROVIDERS for k in e.keys if os.environ.get(k)]
    endpoints = [k for e in PROVIDERS for k in e.endpoints if os.environ.get(k)]
    models = [
        *providers,
        (
            "model keys",
            bool(keys),
            ", ".join(keys) + " set" if keys else "none set (offline proposer only)",
        ),
        ("model endpoints", bool(endpoints), ", ".join(endpoints) if endpoints else "none"),
    ]
    return sandboxes, [("proposers", True, offline)], models


def checks() -> list[Row]:
    sandboxes, proposers, models = _registered()
    pytest_ok = (
        subprocess.run(
            [sys.executable, "-m", "pytest", "--version"], capture_output=True
        ).returncode
        == 0
    )
    return [
        ("python", True, f"{platform.python_version()} ({sys.executable})"),
        *sandboxes,
        ("git", shutil.which("git") is not None, shutil.which("git") or "not found"),
        ("pytest", pytest_ok, "importable" if pytest_ok else "missing for " + sys.executable),
        ("tree-sitter-python", *_module("tree-sitter-python")),
        ("coverage", *_module("coverage")),
        *proposers,
        *models,
    ]


def ray_rows(address: str | None) -> list[Row]:
    """Whether Ray is importable and, given a cluster address, its nodes and resources."""
    try:
        require("ray", RAY_MISSING)  # importable, not merely installed: a broken install says so here
    except MissingExtra as exc:
        return [("ray", False, f"{exc} (for --executor ray)")]
    rows: list[Row] = [("ray", True, _module("ray")[1])]
    if address is None:
        return rows
    try:
        ray = connect(address)
    except TreefixError as exc:
        return [*rows, ("ray cluster", False, str(exc))]
    try:
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        total = ray.cluster_resources()
        rows.append(
            (
                "ray cluster",
                True,
                f"{address}: {len(nodes)} node(s), "
                + ", ".join(f"{k} {total[k]:g}" for k in ("CPU", "GPU") if k in total),
            )
        )
        for n in nodes:
            res = n.get("Resources", {})
            rows.append(
                (
                    f"  node {n['NodeID'][:8]}",
                    True,
                    f"{n.get('NodeManagerAddress')} CPU {res.get('CPU', 0):g}",
                )
            )
    finally:
        ray.shutdown()
    return rows


def run_doctor(as_json: bool, console: Console, ray_address: str | None = None) -> int:
    rows = checks() + ray_rows(ray_address)
    if as_json:
        print(
            json.dumps({name: {"ok": ok, "detail": detail} for name, ok, detail in rows}, indent=2)
        )
        return 0
    table = Table("check", "", "detail", show_edge=False)
    for name, ok, detail in rows:
        # details are outside text: "pip install 'treefix[local]'" is not a markup tag
        table.add_row(name, "[green]yes[/]" if ok else "[yellow]no[/]", escape(detail))
    console.print(table)
    return 0
