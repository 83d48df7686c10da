"""Which model a run uses: `--provider`, `--model`, `--base-url`, and the environment; the
providers themselves are in the registry (models/registry.py)."""

from __future__ import annotations

import os

from treefix.models.registry import PROVIDERS, ModelSpec
from treefix.protocols import Model


def configured_provider(provider: str | None, model_path: str | None = None) -> str | None:
    """The provider asked for, else the one a model file selects, else the first one the
    environment offers a key or endpoint for."""
    if provider:
        return provider
    if model_path:
        for entry in PROVIDERS:
            if entry.takes_model_path:
                return entry.name
    for entry in PROVIDERS:
        if any(os.environ.get(var) for var in entry.selected_by):
            return entry.name
    return None


def make_model(
    provider: str,
    name: str | None = None,
    base_url: str | None = None,
    *,
    model_path: str | None = None,
    context: int | None = None,
    seed: int = 0,
) -> Model:
    """Raises FatalModelError when the provider cannot be used (no key, llama-cpp-python not
    installed), ValueError when unknown or when the model file is missing or not a model."""
    if provider not in PROVIDERS:
        raise ValueError(
            f"--provider must be one of {', '.join(PROVIDERS.names())}, not {provider!r}"
        )
    spec = ModelSpec(name, base_url, model_path, context, seed)
    return PROVIDERS[provider].load().create(spec)
