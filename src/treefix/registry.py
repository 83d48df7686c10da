"""Name -> implementation tables for the pluggable kinds: sandbox backends (`sandbox/backends.py`),
proposers (`propose/registry.py`) and model providers (`models/registry.py`).

An entry names its implementation as "package.module:attribute" and imports it only when it is
used, so listing the names (config validation, `--help`, `doctor`) stays instant and never pulls
in an optional SDK. Adding an implementation is one module plus one `register(...)` line in its
kind's registration module; config, the CLI, `doctor` and the factories all read the same table.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from treefix.errors import UsageError


@dataclass(frozen=True)
class Entry:
    name: str
    # "package.module:attribute", imported on first use; or the implementation itself (tests)
    target: Any
    description: str  # one line, for `doctor` and the docs
    extra: str | None = None  # the pip extra that provides it: pip install 'treefix[extra]'

    def load(self) -> Any:
        if not isinstance(self.target, str):
            return self.target
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)

    @property
    def install(self) -> str:
        return f"pip install 'treefix[{self.extra}]'" if self.extra else ""

    def missing(self, module: str) -> str:
        """What to say when `module`, the SDK this entry's extra brings, is not installed."""
        return f"the {module} SDK is not installed: {self.install}"


E = TypeVar("E", bound=Entry)


class Registry(Generic[E]):
    """The entries of one kind, in registration order; `modes` are choices that are not entries
    (`auto`: pick among the entries)."""

    def __init__(self, kind: str, flag: str, modes: tuple[str, ...] = ()):
        self.kind, self.flag, self.modes = kind, flag, modes
        self._entries: dict[str, E] = {}

    def register(self, entry: E) -> E:
        if entry.name in self._entries or entry.name in self.modes:
            raise ValueError(f"{self.kind} {entry.name!r} is already registered")
        self._entries[entry.name] = entry
        return entry

    def unregister(self, name: str) -> None:
        del self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[E]:
        return iter(list(self._entries.values()))

    def __getitem__(self, name: str) -> E:
        return self._entries[name]

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def choices(self) -> tuple[str, ...]:
        return (*self.modes, *self._entries)

    def help(self) -> str:
        """`auto | local | docker`: the choices as the CLI's help text shows them."""
        return " | ".join(self.choices())

    def spoken(self) -> str:
        """`auto, local or docker`: the choices inside a sentence."""
        *head, last = self.choices()
        return f"{', '.join(head)} or {last}" if head else last

    def check(self, value: str) -> str:
        """The value when it is a choice, else the one-line usage error naming the flag."""
        if value not in self.choices():
            raise UsageError(f"{self.flag} must be {self.spoken()}, not {value!r}")
        return value
