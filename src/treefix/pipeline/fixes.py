"""How many validated fixes a run looks for (--fixes K) when the option is not given: one
offline, three when a model proposes. Shared by the search stage (which knows whether a model
was built) and `treefix config` (which knows only the settings)."""

from __future__ import annotations

FIXES_OFFLINE = 1  # mutation's fixes are near-duplicates: the first validated one is enough
FIXES_WITH_MODEL = 3  # a model's fixes differ in kind; the discriminator and the judge choose


def default_fixes(proposer: str, provider: str | None, model_path: str | None) -> tuple[int, str]:
    """(K, why) from the settings alone: a model proposes when the proposer needs one, or with
    `auto` when a provider is given or the environment offers a key or endpoint."""
    from treefix.models.factory import configured_provider
    from treefix.propose.registry import PROPOSERS

    if proposer != "auto" and (proposer not in PROPOSERS or not PROPOSERS[proposer].needs_model):
        return FIXES_OFFLINE, f"default offline (--proposer {proposer})"
    found = configured_provider(provider, model_path)
    if found is None:
        return FIXES_OFFLINE, "default offline (no model configured)"
    return FIXES_WITH_MODEL, f"default with a model ({found})"
