"""The built-in proposers' factories, named by `propose/registry.py`:
create(options: ModelOptions, seed, gateway, on_message) -> Proposer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from treefix.pipeline.options import ModelOptions


def mutation(options: ModelOptions, seed: int, gateway=None, on_message: Callable[[str], None] | None = None):
    from treefix.propose.mutation import MutationProposer

    return MutationProposer(seed=seed)


def model(options: ModelOptions, seed: int, gateway=None, on_message: Callable[[str], None] | None = None):
    from treefix.propose.llm import LLMProposer

    return LLMProposer(
        gateway,
        samples=options.samples,
        temperature=options.temperature,
        max_tokens=options.llm_max_tokens,
        on_message=on_message,
    )
