"""Optional SDKs: the model providers and the Docker backend live in pip extras, so the offline
core (and the pre-commit hook's venv) installs in seconds. Which extra brings an SDK is declared
once, by the registry entry that needs it (`Entry.extra`, `Entry.missing`): callers pass its text."""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ImportError):
    """An optional SDK is not installed; the message says which extra brings it."""


def require(module: str, missing: str) -> ModuleType:
    """The SDK's module; `missing` (an entry's `missing(module)`) is the error's message."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(missing) from exc


def available(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def status(module: str, missing: str) -> tuple[bool, str]:
    """For `treefix doctor`: (installed, its version or `missing`, the extra to install)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return True, version(module)
    except PackageNotFoundError:
        return False, missing
