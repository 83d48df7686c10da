"""Model providers for model-guided repair: a small `Model` seam and a `Gateway` in front of it.
Their failures are `ProviderError`s, in `treefix.errors`."""

from treefix.models.base import Message, Model, Reply, Request, Usage
from treefix.models.gateway import BudgetExhausted, Gateway, RetryPolicy
from treefix.models.scripted import ScriptedModel

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
