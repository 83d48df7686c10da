"""Optional SDKs: the model providers and the Docker backend live in pip extras, so the offline
core (and the pre-commit hook's venv) installs in seconds. This names the extra when one is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS = {"anthropic": "anthropic", "openai": "openai", "docker": "docker", "llama_cpp": "local", "ray": "ray"}


class MissingExtra(ImportError):
    """An optional SDK is not installed; the message says which extra brings it."""


def hint(module: str) -> str:
    return f"the {module} SDK is not installed: pip install 'treefix[{EXTRAS.get(module, module)}]'"


def require(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(hint(module)) from exc


def available(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def status(module: str) -> tuple[bool, str]:
    """For `treefix doctor`: (installed, its version or the extra to install)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return True, version(module)
    except PackageNotFoundError:
        return False, hint(module)
