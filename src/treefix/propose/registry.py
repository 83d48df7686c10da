"""Proposers: the registry `--proposer`, config validation and `doctor` read, and the factory
(`propose/factory.py`) builds from. `auto` is not a proposer of its own: the model proposer with
the offline one beside it when a model is configured, the offline one alone otherwise.

A new proposer is one module with a `create(options, seed, gateway, on_message) -> Proposer` function,
plus one `PROPOSERS.register` line below.
"""

from __future__ import annotations

from dataclasses import dataclass

from treefix.registry import Entry, Registry

OFFLINE = "mutation"  # runs with no model; `auto` falls back to it
MODEL = "model"  # what `auto` adds when a model is configured


@dataclass(frozen=True)
class ProposerEntry(Entry):
    needs_model: bool = False  # True: create() gets the run's Gateway


PROPOSERS: Registry[ProposerEntry] = Registry("proposer", "--proposer", modes=("auto",))
PROPOSERS.register(
    ProposerEntry(
        OFFLINE,
        "treefix.propose.makers:mutation",
        "mutation and fix templates over the suspicious statements (offline)",
    )
)
PROPOSERS.register(
    ProposerEntry(
        MODEL,
        "treefix.propose.makers:model",
        "a model writes patches from the failures and the tried patches",
        needs_model=True,
    )
)
