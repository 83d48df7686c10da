"""A batch manifest: TOML (`[[entry]]` tables), JSONL (one object a line) or a folder whose
sub-folders are the repositories. Every entry names a local path or a git URL (+ ref), and may
carry a test command and settings of its own; bad input is a UsageError naming the entry."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from treefix.config import coerce
from treefix.errors import UsageError

KEYS = {"name", "path", "url", "ref", "test-cmd", "test_cmd", "settings"}


@dataclass(frozen=True)
class Entry:
    name: str
    path: str | None = None  # a local folder (absolute)
    url: str | None = None  # or a git URL, cloned into the batch's output folder
    ref: str | None = None
    test_cmd: str | None = None
    settings: dict[str, object] = field(default_factory=dict)  # flat, already coerced


def load(source: str | Path) -> list[Entry]:
    where = Path(source).expanduser()
    if where.is_dir():
        entries = _folder(where)
    elif not where.is_file():
        raise UsageError(f"{source}: no such manifest file or folder")
    elif where.suffix in (".jsonl", ".ndjson"):
        entries = _jsonl(where)
    elif where.suffix == ".toml":
        entries = _toml(where)
    else:
        raise UsageError(f"{source}: a manifest is a .toml or .jsonl file, or a folder")
    if not entries:
        raise UsageError(f"{source}: the manifest lists no repositories")
    names = [e.name for e in entries]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise UsageError(f"{source}: entry names must be unique (repeated: {', '.join(dup)})")
    return entries


def _folder(root: Path) -> list[Entry]:
    subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [Entry(name=p.name, path=str(p.resolve())) for p in subs]


def _jsonl(path: Path) -> list[Entry]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}:{n}: not valid JSON: {exc.msg}") from None
        out.append(_entry(item, f"{path}:{n}", path.parent))
    return out


def _toml(path: Path) -> list[Entry]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    items = data.get("entry", [])
    if not isinstance(items, list):
        raise UsageError(f"{path}: `entry` must be an array of tables ([[entry]])")
    return [_entry(item, f"{path} entry {i}", path.parent) for i, item in enumerate(items, 1)]


def _entry(item: object, where: str, base: Path) -> Entry:
    if not isinstance(item, dict):
        raise UsageError(f"{where}: an entry must be a table / JSON object")
    unknown = sorted(set(item) - KEYS)
    if unknown:
        raise UsageError(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})"
        )
    path, url = item.get("path"), item.get("url")
    if (path is None) == (url is None):
        raise UsageError(f"{where}: give exactly one of path or url")
    for key in ("name", "path", "url", "ref", "test-cmd", "test_cmd"):
        if key in item and not isinstance(item[key], str):
            raise UsageError(f"{where}: {key} must be a string")
    settings = item.get("settings", {})
    if not isinstance(settings, dict):
        raise UsageError(f"{where}: settings must be a table / JSON object")
    values = {k.replace("-", "_"): coerce(k, v, where) for k, v in settings.items()}
    test_cmd = item.get("test-cmd", item.get("test_cmd"))
    if path is not None:
        full = (base / Path(path).expanduser()).resolve()
        if not full.is_dir():
            raise UsageError(f"{where}: {path} is not a folder")
        name = item.get("name") or full.name
        return Entry(name, path=str(full), test_cmd=test_cmd, settings=values)
    name = item.get("name") or re.sub(r"(\.git)?/*$", "", str(url)).rsplit("/", 1)[-1] or "repo"
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise UsageError(f"{where}: name {name!r} may only hold letters, digits, . _ -")
    return Entry(name, url=url, ref=item.get("ref"), test_cmd=test_cmd, settings=values)
