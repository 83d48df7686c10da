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


def render(name: str, **values: object) -> str:
    """Fill `{placeholders}`; other braces in the values are left alone."""
    return _fill(load(name), values)


def phrase(name: str, **values: object) -> str:
    """One short text from `phrases.txt` (`name: text` lines), filled like a template."""
    return _fill(_phrases()[name], values)


@cache
def _phrases() -> dict[str, str]:
    out = {}
    for line in load("phrases.txt").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, text = line.partition(": ")
            out[name] = text
    return out


def _fill(template: str, values: dict[str, object]) -> str:
    # one pass: a value quoting "{critique}" is not filled in again
    return re.sub(
        r"\{(\w+)\}",
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0),
        template,
    )
