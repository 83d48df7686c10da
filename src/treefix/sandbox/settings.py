"""The sandbox limits a user can set (`[tool.treefix]`, TREEFIX_SANDBOX_*, SandboxOptions fields),
turned into a backend's limits object. Each backend declares which settings it honours and how
each converts (`LocalBackend.FIELDS`, `DockerBackend.FIELDS`); unset values keep its default."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

MIB, KIB = 1 << 20, 1 << 10

Fields = Mapping[str, tuple[str, Callable[[Any], Any]]]  # setting -> (limits field, convert)


def limits_from(options: object | None, default: Any, fields: Fields) -> Any:
    """`default` (a limits dataclass) with every setting `options` sets, converted."""
    changes = {}
    for setting, (name, convert) in fields.items():
        value = getattr(options, setting, None)
        if value:
            changes[name] = convert(value)
    return replace(default, **changes)
