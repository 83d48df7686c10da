"""Prompt templates from `prompts/` (shipped in the wheel as `treefix/prompts`; in an editable
install, read from the repository's `prompts/` folder)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path


@cache
def load(name: str) -> str:
    try:
        res = resources.files("treefix").joinpath("prompts", name)
        if res.is_file():
            return res.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError):
        pass
    repo = Path(__file__).resolve().parents[3] / "prompts" / name
    return repo.read_text(encoding="utf-8")


def render(name: str, **values: str) -> str:
    """Fill `{placeholders}`; other braces in the values are left alone."""
    return re.sub(
        r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), load(name)
    )  # one pass: a value quoting "{critique}" is not filled in again
