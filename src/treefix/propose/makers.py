"""The built-in proposers' factories, named by `propose/registry.py`:
create(options, gateway, on_message) -> Proposer."""

from __future__ import annotations

from collections.abc import Callable


def mutation(options, gateway=None, on_message: Callable[[str], None] | None = None):
    from treefix.propose.mutation import MutationProposer

    return MutationProposer(seed=options.seed)


def model(options, gateway=None, on_message: Callable[[str], None] | None = None):
    from treefix.propose.llm import LLMProposer

    return LLMProposer(
        gateway,
        samples=options.samples,
        temperature=options.temperature,
        max_tokens=getattr(options, "llm_max_tokens", 2048),
        on_message=on_message,
    )
