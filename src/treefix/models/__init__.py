"""Model providers for model-guided repair: a small `Model` seam and a `Gateway` in front of it."""

from treefix.models.base import (
    FatalModelError,
    Message,
    Reply,
    Request,
    TransientModelError,
    Usage,
)
from treefix.models.gateway import (
    BudgetExhausted,
    Gateway,
    PromptTooLong,
    ProviderFailure,
    RetryPolicy,
)
from treefix.models.scripted import ScriptedModel
from treefix.protocols import Model

__all__ = [
    "BudgetExhausted",
    "FatalModelError",
    "Gateway",
    "Message",
    "Model",
    "PromptTooLong",
    "ProviderFailure",
    "Reply",
    "Request",
    "RetryPolicy",
    "ScriptedModel",
    "TransientModelError",
    "Usage",
]
