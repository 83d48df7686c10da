"""The stderr console and the one way a command reports a TreefixError (message, exit code),
shared by the top-level app and its sub-apps (`treefix sandbox ...`)."""

from __future__ import annotations

import json

import typer

from treefix.errors import TreefixError


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def fail(exc: TreefixError, as_json: bool) -> None:
    from rich.markup import escape

    stderr_console().print(
        f"[bold red]treefix: error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
    )
    if as_json:
        print(json.dumps({"status": "error", "message": str(exc), "exit_code": exc.exit_code}))
    raise typer.Exit(exc.exit_code)
