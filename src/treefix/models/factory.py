"""Which model a run uses: `--provider`, `--model`, `--base-url`, and the environment."""

from __future__ import annotations

import os

from treefix.protocols import Model

PROVIDERS = ("anthropic", "openai", "llamacpp", "scripted")


def configured_provider(provider: str | None, model_path: str | None = None) -> str | None:
    """The provider asked for, else llamacpp with a model file, else the one the environment
    offers a key or endpoint for."""
    if provider:
        return provider
    if model_path:
        return "llamacpp"
    if os.environ.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
        return "openai"
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
    if provider == "anthropic":
        from treefix.models.providers import AnthropicModel

        return AnthropicModel(name, base_url)
    if provider == "openai":
        from treefix.models.providers import OpenAIModel

        return OpenAIModel(name, base_url)
    if provider == "llamacpp":
        from treefix.models.llamacpp import LlamaCppModel

        path = model_path or name
        if not path:
            raise ValueError("--provider llamacpp needs --model-path FILE.gguf")
        return LlamaCppModel(path, context=context, seed=seed)
    if provider == "scripted":
        from treefix.models.scripted import ScriptedModel

        if not name:
            raise ValueError("--provider scripted needs --model FILE (a JSON or JSONL script)")
        return ScriptedModel.from_file(name)
    raise ValueError(f"--provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
