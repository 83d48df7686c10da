"""Model providers: the registry `--provider`, config validation, `doctor` and the model factory
(`models/factory.py`) read.

A new provider is one module with an object following `Provider`, plus one `PROVIDERS.register`
line below. Each provider checks what it needs from the settings in its own `create()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from treefix.registry import Entry, Registry

if TYPE_CHECKING:
    from treefix.protocols import Model


@dataclass(frozen=True)
class ModelSpec:
    """The model settings of a run (`--model`, `--base-url`, `--model-path`...)."""

    name: str | None = None
    base_url: str | None = None
    model_path: str | None = None
    context: int | None = None
    seed: int = 0


@dataclass(frozen=True)
class ProviderEntry(Entry):
    # the SDK it imports only at its first call: checked before the run, so a missing extra is
    # said up front (and `auto` with only a key in the environment goes on offline)
    lazy_sdk: str | None = None
    selected_by: tuple[str, ...] = ()  # env vars whose presence picks it when --provider is unset
    takes_model_path: bool = False  # a model file alone picks it
    keys: tuple[str, ...] = ()  # env vars holding its key: `doctor` says which are set, never them
    endpoints: tuple[str, ...] = ()  # env vars naming its endpoint


class Provider(Protocol):
    def create(self, spec: ModelSpec) -> Model:
        """Raises FatalModelError when unusable (no key, SDK missing), ValueError for bad
        settings (a usage error), OSError for an unreadable file."""
        ...

    def doctor(self) -> list[tuple[str, bool, str]]:
        """Rows for `treefix doctor`: (check, ok, detail)."""
        ...


PROVIDERS: Registry[ProviderEntry] = Registry("model provider", "--provider")
PROVIDERS.register(
    ProviderEntry(
        "anthropic",
        "treefix.models.providers:ANTHROPIC",
        "Anthropic Messages API",
        extra="anthropic",
        lazy_sdk="anthropic",
        selected_by=("ANTHROPIC_API_KEY",),
        keys=("ANTHROPIC_API_KEY",),
        endpoints=("ANTHROPIC_BASE_URL",),
    )
)
PROVIDERS.register(
    ProviderEntry(
        "openai",
        "treefix.models.providers:OPENAI",
        "OpenAI-compatible Chat Completions (OpenAI, Ollama, vLLM, llama.cpp server...)",
        extra="openai",
        lazy_sdk="openai",
        selected_by=("OPENAI_API_KEY", "OPENAI_BASE_URL"),
        keys=("OPENAI_API_KEY",),
        endpoints=("OPENAI_BASE_URL",),
    )
)
PROVIDERS.register(
    ProviderEntry(
        "llamacpp",
        "treefix.models.llamacpp:PROVIDER",
        "a GGUF file run in-process by llama.cpp",
        extra="local",
        takes_model_path=True,
    )
)
PROVIDERS.register(
    ProviderEntry(
        "scripted",
        "treefix.models.scripted:PROVIDER",
        "canned answers from a JSON/JSONL file (tests, offline replays)",
    )
)
