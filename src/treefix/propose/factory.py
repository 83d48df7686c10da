"""Which proposers a run uses (`--proposer auto|mutation|model`), and the model behind them.

- mutation: the offline engine alone.
- model: the model alone; a provider that refuses, or still fails after its retries, is exit 4.
- auto: both together when a model is configured (a `--provider`, or a key/endpoint in the
  environment), mutation alone otherwise. Reaching the model's call or cost budget drops the
  model and the search goes on with mutation alone. A model still failing after its retries degrades the
  run to mutation-only, and says so; a provider refusing for good (bad key, unknown model) is
  exit 4 even here, since it is a configuration to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from treefix.errors import ProviderError, UsageError
from treefix.extras import available
from treefix.markup import escape as _escape
from treefix.models.factory import configured_provider, make_model
from treefix.models.gateway import BudgetExhausted, Gateway, RetryPolicy
from treefix.models.registry import PROVIDERS
from treefix.propose.llm import LLMProposer
from treefix.propose.registry import MODEL, OFFLINE, PROPOSERS
from treefix.protocols import Feedback, Proposer
from treefix.types import Candidate, ProgramState, Suspicion

if TYPE_CHECKING:
    from treefix.pipeline.options import ModelOptions

REFILLS = 2  # times one state may ask the model again once its proposals are used up


@dataclass
class ModelSetup:
    proposer: Proposer
    gateway: Gateway | None = None
    llm: LLMProposer | None = None
    mode: str = "mutation"  # what actually runs: mutation | model | model+mutation
    degraded: str = ""  # why the model was dropped mid-run
    exhausted: str = ""  # auto: the model budget reached, the search went on with mutation only


class ModelThenMutation:
    """Model candidates first, cheap mutants beside them; model failures handled per mode."""

    wants_history = True

    def __init__(
        self,
        setup: ModelSetup,
        mutation: Proposer | None,
        on_message: Callable[[str], None],
    ):
        self.setup = setup
        self.llm = setup.llm
        self.mutation = mutation
        self.on_message = on_message
        self.name = "model" if mutation is None else "model+mutation"

    def propose(
        self, state: ProgramState, focus: Sequence[Suspicion], feedback: Feedback
    ) -> list[Candidate]:
        out = self._model(state, focus, feedback)
        if self.mutation is not None:
            out = out + self.mutation.propose(state, focus, feedback)
        return out

    def refill(
        self, state: ProgramState, focus: Sequence[Suspicion], feedback: Feedback
    ) -> list[Candidate]:
        """Ask the model again for a state whose proposals are used up (mutants never change)."""
        return self._model(state, focus, feedback)

    @property
    def refills(self) -> int:
        return REFILLS if self.llm is not None else 0

    def _model(
        self, state: ProgramState, focus: Sequence[Suspicion], feedback: Feedback
    ) -> list[Candidate]:
        if self.llm is None:
            return []
        try:
            return self.llm.propose(state, focus, feedback)
        except BudgetExhausted as exc:
            # --max-llm-calls / --max-cost-usd bound the model, not the search: with mutants beside
            # it the search goes on without the model (the time limit still ends everything)
            if self.mutation is None or exc.reason == "time limit":
                raise
            self.setup.exhausted = exc.reason
            self.llm = None
            self.name = "mutation"
            self.on_message(
                f"[yellow]{_escape(exc.reason)} reached: continuing with mutation only[/]"
            )
            return []
        except ProviderError as exc:
            if exc.fatal or self.mutation is None:
                raise
            self.setup.degraded = str(exc)
            self.setup.mode = "mutation"
            self.llm = None
            self.name = "mutation"
            self.on_message(
                f"[yellow]model failing ({_escape(str(exc))}): continuing with mutation only[/]"
            )
            return []


def build(
    options: ModelOptions, seed: int, deadline: float, on_message: Callable[[str], None]
) -> ModelSetup:
    name = PROPOSERS.check(options.proposer)
    if name != "auto" and not PROPOSERS[name].needs_model:
        return ModelSetup(PROPOSERS[name].load()(options, seed))
    mutation = PROPOSERS[OFFLINE].load()(options, seed)
    provider = configured_provider(options.provider, options.model_path)
    if provider is None:
        if name != "auto":
            raise ProviderError(
                f"--proposer {name} needs a model: set ANTHROPIC_API_KEY or OPENAI_API_KEY/"
                "OPENAI_BASE_URL, or pass --provider (a local GGUF file: --model-path)"
            )
        return ModelSetup(mutation)
    sdk = PROVIDERS[provider].lazy_sdk if provider in PROVIDERS else None
    if sdk and not available(sdk):
        missing = PROVIDERS[provider].missing(sdk)  # the extra its registry entry names
        if name == "auto" and not options.provider:
            # the key is in the environment, but this install is the offline core
            on_message(f"[yellow]{_escape(missing)}; proposing offline[/]")
            return ModelSetup(mutation)
        raise ProviderError(f"{provider}: {missing}")
    try:  # its FatalModelError (no key, no llama-cpp-python) is a ProviderError: exit 4 as is
        model = make_model(
            provider,
            options.model,
            options.base_url,
            model_path=options.model_path,
            context=options.llm_context,
            seed=seed,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:  # a scripted model's file
        raise UsageError(f"--model: {exc}") from None
    gateway = Gateway(
        model,
        max_calls=options.max_llm_calls,
        max_cost=options.max_cost_usd,
        retry=RetryPolicy(timeout=options.llm_timeout),
        cache_dir=options.cache,
        deadline=deadline,
        seed=seed,
    )
    if gateway.price is None and options.max_cost_usd is not None:
        on_message(
            f"[yellow]no price known for {_escape(gateway.label)}: tokens are counted, cost is unknown, "
            "--max-cost-usd cannot apply (--max-llm-calls does; prices: TREEFIX_PRICES)[/]"
        )
    llm = PROPOSERS[MODEL if name == "auto" else name].load()(options, seed, gateway, on_message)
    setup = ModelSetup(proposer=mutation, gateway=gateway, llm=llm)
    setup.mode = "model" if name != "auto" else "model+mutation"
    setup.proposer = ModelThenMutation(setup, None if name != "auto" else mutation, on_message)
    return setup
