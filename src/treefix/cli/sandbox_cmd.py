"""`treefix sandbox ...`: build and inspect sandbox images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from treefix.cli.console import fail
from treefix.errors import TreefixError, UsageError

app = typer.Typer(help="Sandbox images for --sandbox docker.", no_args_is_help=True)


@app.command("build")
def build_cmd(
    path: Annotated[
        str, typer.Argument(help="Project folder whose dependencies go into the image.")
    ] = ".",
    base: Annotated[
        str, typer.Option(help="Base image (local; nothing is pulled).")
    ] = "treefix-base:bookworm",
) -> None:
    """Build the project's sandbox image: base + dependencies, tagged by their hash."""
    from rich.console import Console

    # image building (and the Docker engine's modules) load only for this command: --help stays instant
    from treefix.sandbox.image import build

    console = Console(stderr=True)
    root = Path(path).expanduser()
    try:
        if not root.is_dir():
            raise UsageError(f"not a directory: {root}")
        tag = build(root.resolve(), base=base, log=lambda m: console.print(m, highlight=False))
    except TreefixError as exc:
        fail(exc, False)
    print(tag)
