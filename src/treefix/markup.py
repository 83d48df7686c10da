"""Messages from the engine are rendered as rich markup; text that comes from outside (paths,
test ids, error strings such as "pip install 'treefix[docker]'") must not be read as tags."""

from __future__ import annotations


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)
