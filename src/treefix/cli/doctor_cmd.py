"""`treefix doctor`: what this machine offers treefix."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys

from rich.console import Console
from rich.table import Table


def _module(name: str) -> tuple[bool, str]:
    try:
        from importlib.metadata import version

        return True, version(name)
    except Exception:
        return False, "not installed"


def _sdk(name: str) -> tuple[bool, str]:
    from treefix.extras import hint

    ok, version = _module(name)
    return (True, version) if ok else (False, hint(name))


def _llamacpp() -> tuple[bool, str]:
    """llama-cpp-python for `--provider llamacpp`, and the model file TREEFIX_MODEL_PATH names."""
    from treefix.models.llamacpp import available, check_model_file

    ok, detail = available()
    path = os.environ.get("TREEFIX_MODEL_PATH")
    if path:
        try:
            check_model_file(path)
            detail += f"; TREEFIX_MODEL_PATH {path} is a GGUF file"
        except ValueError as exc:
            return False, f"{detail}; {exc}".replace("--model-path", "TREEFIX_MODEL_PATH")
    return ok, detail


def checks() -> list[tuple[str, bool, str]]:
    from treefix.sandbox.docker_engine import probe
    from treefix.sandbox.isolation import detect

    iso = detect()
    pytest_ok = (
        subprocess.run(
            [sys.executable, "-m", "pytest", "--version"], capture_output=True
        ).returncode
        == 0
    )
    keys = [k for k in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY") if os.environ.get(k)]
    endpoints = [k for k in ("ANTHROPIC_BASE_URL", "OPENAI_BASE_URL") if os.environ.get(k)]
    return [
        ("python", True, f"{platform.python_version()} ({sys.executable})"),
        ("sandbox local", True, iso.describe()),
        (
            "namespaces",
            iso.namespaces,
            "network + PID namespaces via unshare"
            if iso.namespaces
            else "unavailable: candidates can reach the network",
        ),
        (
            "rlimits",
            iso.rlimits,
            "prlimit: core 0, file size, address space" if iso.rlimits else "prlimit missing",
        ),
        ("sandbox docker", *probe()),
        ("git", shutil.which("git") is not None, shutil.which("git") or "not found"),
        ("pytest", pytest_ok, "importable" if pytest_ok else "missing for " + sys.executable),
        ("tree-sitter-python", *_module("tree-sitter-python")),
        ("coverage", *_module("coverage")),
        ("proposers", True, "mutation (offline)"),
        *((f"{name} SDK", *_sdk(name)) for name in ("anthropic", "openai")),
        ("llama.cpp in-process", *_llamacpp()),
        (
            "model keys",
            bool(keys),
            ", ".join(keys) + " set" if keys else "none set (offline proposer only)",
        ),
        ("model endpoints", bool(endpoints), ", ".join(endpoints) if endpoints else "none"),
    ]


def run_doctor(as_json: bool, console: Console) -> int:
    rows = checks()
    if as_json:
        print(
            json.dumps({name: {"ok": ok, "detail": detail} for name, ok, detail in rows}, indent=2)
        )
        return 0
    table = Table("check", "", "detail", show_edge=False)
    for name, ok, detail in rows:
        table.add_row(name, "[green]yes[/]" if ok else "[yellow]no[/]", detail)
    console.print(table)
    return 0
