"""Model providers for model-guided repair: a small `Model` seam and a `Gateway` in front of it.

The names below load on first use (PEP 562): the CLI reads `treefix.models.registry` to list the
providers in `--help`, and that must not import the gateway and its dependencies. Their failures
are `ProviderError`s, in `treefix.errors`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the same names, for type checkers and editors
    from treefix.models.base import (
        Message,
        Reply,
        Request,
        Usage,
    )
    from treefix.models.gateway import (
        BudgetExhausted,
        Gateway,
        RetryPolicy,
    )
    from treefix.models.scripted import ScriptedModel
    from treefix.protocols import Model

_WHERE = {
    "Message": "base",
    "Model": "treefix.protocols",
    "Reply": "base",
    "Request": "base",
    "Usage": "base",
    "BudgetExhausted": "gateway",
    "Gateway": "gateway",
    "RetryPolicy": "gateway",
    "ScriptedModel": "scripted",
}

__all__ = [
    "BudgetExhausted",
    "Gateway",
    "Message",
    "Model",
    "Reply",
    "Request",
    "RetryPolicy",
    "ScriptedModel",
    "Usage",
]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    where = _WHERE[name]
    module = where if "." in where else f"{__name__}.{where}"
    return getattr(importlib.import_module(module), name)
