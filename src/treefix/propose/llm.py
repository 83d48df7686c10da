"""LLMProposer: a model proposes patches as search/replace blocks, inside the same search.

The prompt carries the failing tests and how they fail, the localised code (the enclosing
functions or classes of the suspicious lines, found with tree-sitter, with line numbers), this
state's own patch and critique, and what was already tried on this branch and beside it with how
each run ended (ChatRepair's "don't repeat these", SWE-Search's hindsight). Several samples are
drawn per expansion. A response whose blocks do not all match the file (exactly, then once more
ignoring whitespace) is rejected whole, and so is one with a block left open (an answer cut at
the token limit is never half-applied); rejections are counted and quoted in the next prompt.
Candidates must compile and never touch test files; the search drops already-seen states.
(Answers are parsed in `propose.blocks`; the code shown is built by `propose.code_context`.)

Small context windows (local models): when the model's window is known (`context_window`, or
learned from a "prompt too long" error), the prompt is trimmed before it is sent: the code context
keeps the most suspicious lines first (fewer suspicious lines, shorter windows around them), the
history of tried patches is shortened, and the run says so.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from treefix.code.prompts import load, phrase, render
from treefix.code.syntax import has_syntax_error
from treefix.errors import ContextOverflow
from treefix.models.base import Message, Request
from treefix.models.gateway import Gateway
from treefix.propose.blocks import OPEN, Rejected, blocks_to_edits, parse_response
from treefix.propose.code_context import MAX_CONTEXT_LINES, code_context
from treefix.propose.context.first import RunContext, failing_section
from treefix.propose.tools import Toolbox, ToolLoop
from treefix.propose.tools.loop import MAX_ROUNDS
from treefix.protocols import Feedback
from treefix.types import Candidate, ProgramState, Suspicion

MODEL_PRIOR = 1.0  # model patches are tried before cheap mutants
MAX_RESPONSE_CHARS = 1 << 20  # a bigger answer is rejected whole, unparsed
# Trimming levels for small context windows: (code lines shown, most suspicious lines kept,
# tried patches kept, characters of critique kept). Level 0 is the untrimmed prompt.
TRIM_LEVELS = (
    (MAX_CONTEXT_LINES, None, None, None),
    (160, 8, 4, 1500),
    (80, 4, 2, 800),
    (40, 2, 1, 400),
    (20, 1, 0, 200),
    (8, 1, 0, 120),  # a 1K-token window (small local models) beside the system prompt
)
MIN_ANSWER_TOKENS = 128  # room kept for the answer when trimming to a window


@dataclass
class ProposerStats:
    responses: int = 0
    candidates: int = 0
    rejected: int = 0  # whole responses rejected (a block did not match, broke the syntax...)
    empty: int = 0  # responses without any block
    overhead: float = 0.0  # seconds in prompt building and parsing (no HTTP)
    reasons: list[str] = field(default_factory=list)
    trimmed: int = 0  # prompts trimmed to fit the model's context window
    window: int | None = None  # the model's context window in tokens, when known


def _cut(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[:limit] + "\n" + phrase("cut")


def _tried(feedback: Feedback, keep: int | None = None) -> str:
    if not feedback.tried:
        return phrase("nothing_tried") + "\n"
    shown = list(feedback.tried) if keep is None else list(feedback.tried)[-keep:] if keep else []
    if not shown:
        return phrase("tried_left_out", count=len(feedback.tried)) + "\n"
    out = []
    for i, a in enumerate(shown, 1):
        crit = _cut(a.critique.strip(), 700)
        out.append(
            render(
                "tried.txt",
                number=i,
                relation=phrase("on_branch" if a.relation == "branch" else "beside"),
                description=a.description,
                outcome=a.outcome,
                patch=_cut(a.patch.strip(), 1500),
                why="\n" + phrase("why", critique=crit) if crit else "",
            )
        )
    return "".join(out)


class LLMProposer:
    name = "model"
    wants_history = True

    def __init__(
        self,
        gateway: Gateway,
        *,
        samples: int = 2,
        temperature: float = 0.7,
        max_tokens: int = 2048,
        on_message: Callable[[str], None] | None = None,
        tool_rounds: int = MAX_ROUNDS,
    ):
        self.gateway = gateway
        self.samples = max(1, samples)
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.on_message = on_message
        self.stats = ProposerStats()
        self.stats.window = getattr(gateway.model, "context_window", None)
        self._told_level = 0  # the deepest trimming already announced
        self._rejections: list[str] = []  # quoted in the next prompt, then cleared
        self.root_messages: dict[str, str] = {}  # baseline failure messages per target
        self.tools = ToolLoop(gateway, tool_rounds)  # retrieval before the answer (see _complete)
        self.context: RunContext | None = None  # the stable prefix, built from the root

    def _learn_root(self, state: ProgramState, focus, feedback: Feedback) -> None:
        """The first call is the root's: its report is the baseline run. Its failure messages
        and the stable prefix (repository map, test source) are kept for the whole run."""
        if self.context is not None:
            return
        report = feedback.report
        if report is not None and not feedback.patch:
            for t in feedback.targets:
                out = report.tests.get(t)
                if out is not None and out.message and t not in self.root_messages:
                    self.root_messages[t] = out.message
        self.context = RunContext(state, focus, report, feedback.targets)

    def build_request(
        self,
        state: ProgramState,
        focus: Sequence[Suspicion],
        feedback: Feedback,
        sample: int,
        level: int = 0,
    ) -> Request:
        lines, top, keep_tried, critique_chars = TRIM_LEVELS[level]
        system = load("system.txt")
        self._learn_root(state, focus, feedback)
        assert self.context is not None
        stable = self.context.stable(level)
        shown = [*focus, *self.context.callees]  # the failing tests' callees, last
        context = render("context.txt", code=code_context(state, shown, lines, top))
        current = ""
        if feedback.patch:
            current = render("patch_applied.txt", patch=feedback.patch.strip())
        rejected = ""
        if self._rejections:
            reasons = "\n".join(f"- {r}" for r in self._rejections[-3:])
            rejected = render("rejected.txt", reasons=reasons)
        variant = render("variant.txt", number=sample + 1) if sample > 0 else ""
        critique = _cut(feedback.critique.strip() or phrase("no_critique"), critique_chars)
        failing = failing_section(
            feedback.report, list(feedback.targets)[:10], state, level, self.root_messages
        )
        task = render(
            "propose.txt",
            failing=failing,
            critique=critique,
            current_patch=current,
            tried=_tried(feedback, keep_tried),
            rejected=rejected,
            variant=variant,
        )
        return Request(
            system=system,
            # stable prefix first (cached), then this state's code and how it fails
            messages=(Message("user", stable, cache=True), Message("user", context + "\n" + task)),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            sample=sample,
            purpose="propose",
        )

    # -- fitting the prompt to the model's context window ------------------------------------
    def _tokens(self, request: Request) -> int:
        """The prompt's size in tokens: exact when the model can count, else ~3 chars a token
        (code tokenises densely; an underestimate is caught by the provider's refusal)."""
        texts = [request.system, *(m.content for m in request.messages)]
        count = getattr(self.gateway.model, "count_tokens", None)
        if count is not None:
            return sum(count(t) for t in texts) + 8 * len(texts)  # + chat template tokens
        return sum(len(t) for t in texts) // 3 + 8 * len(texts)

    def fitted_request(
        self,
        state: ProgramState,
        focus: Sequence[Suspicion],
        feedback: Feedback,
        sample: int,
        level: int = 0,
    ) -> tuple[Request | None, int]:
        """The least trimmed request (from `level` on) that leaves room for an answer in the
        window, with its level; (None, level) when even the most trimmed one does not fit."""
        window = self.stats.window
        while True:
            request = self.build_request(state, focus, feedback, sample, level)
            if not window:
                return request, level
            room = window - self._tokens(request)
            answer = min(self.max_tokens, room)
            if room >= min(self.max_tokens, max(MIN_ANSWER_TOKENS, window // 4)):
                return dataclasses.replace(request, max_tokens=answer), level
            if level + 1 >= len(TRIM_LEVELS):
                if room >= min(self.max_tokens, MIN_ANSWER_TOKENS // 2):
                    return dataclasses.replace(request, max_tokens=answer), level
                return None, level
            level += 1

    def _announce(self, level: int) -> None:
        if level > 0:
            self.stats.trimmed += 1
        if level > self._told_level and self.on_message is not None:
            self._told_level = level
            lines, top, _, _ = TRIM_LEVELS[level]
            self.on_message(
                f"[yellow]model context window {self.stats.window} tokens: prompt trimmed to "
                f"the {top} most suspicious lines ({lines} lines of code at most) and a "
                "shorter history[/]"
            )

    def _ask(self, state, focus, feedback, sample: int):
        """One answer for this sample, trimming the prompt to the window; None when the prompt
        cannot fit even trimmed (counted as a rejected response)."""
        level = 0
        while True:
            t0 = time.perf_counter()
            request, level = self.fitted_request(state, focus, feedback, sample, level)
            self.stats.overhead += time.perf_counter() - t0
            if request is None:
                self._reject(
                    f"the prompt does not fit the model's {self.stats.window}-token context "
                    "window even trimmed to the most suspicious line"
                )
                return None
            try:
                reply = self._complete(request, state)  # BudgetExhausted / ProviderError
            except ContextOverflow as exc:
                tokens = self._tokens(request)
                learned = exc.window or int(tokens * 0.75)
                if self.stats.window is None or learned < self.stats.window:
                    self.stats.window = learned
                elif level + 1 < len(TRIM_LEVELS):
                    level += 1  # our estimate was low: go one level further
                else:
                    self._reject(f"the prompt does not fit the model's context window ({exc})")
                    return None
                continue
            self._announce(level)
            return reply

    # -- retrieval tools (propose/tools): the model may read the project before it answers ----
    def _complete(self, request: Request, state: ProgramState):
        return self.tools.complete(request, Toolbox(state.paths(), state.read))

    def propose(
        self, state: ProgramState, focus: Sequence[Suspicion], feedback: Feedback
    ) -> list[Candidate]:
        out: list[Candidate] = []
        seen: set[tuple] = set()
        for sample in range(self.samples):
            reply = self._ask(state, focus, feedback, sample)
            if reply is None:
                continue
            t0 = time.perf_counter()
            self.stats.responses += 1
            cand, explanation = self.parse(state, reply.text, cut=reply.truncated)
            if explanation and not feedback.explanation:
                feedback.explanation = explanation
            if cand is not None and cand.edits not in seen:
                seen.add(cand.edits)
                out.append(cand)
            self.stats.overhead += time.perf_counter() - t0
        self.stats.candidates += len(out)
        return out

    def parse(
        self, state: ProgramState, text: str, cut: bool = False
    ) -> tuple[Candidate | None, str]:
        if len(text) > MAX_RESPONSE_CHARS:
            # a runaway answer (tens of MB of "code") is no patch: refuse it before parsing,
            # compiling and copying it into every sandbox
            self._reject(
                f"the answer is {len(text) / 2**20:.1f} MiB, over the {MAX_RESPONSE_CHARS >> 20} MiB limit for one response"
            )
            return None, ""
        explanation, blocks = parse_response(text)
        why_cut = " (the answer was cut at the output token limit)" if cut else ""
        if not blocks:
            self.stats.empty += 1
            self._reject("the answer held no SEARCH/REPLACE block" + why_cut)
            return None, explanation
        opened = len(OPEN.findall(text))
        if opened > len(blocks):
            self._reject(
                f"{opened - len(blocks)} of {opened} SEARCH/REPLACE blocks not closed{why_cut}; "
                "nothing applied"
            )
            return None, explanation
        try:
            edits = blocks_to_edits(state, blocks)
            new_state = state.derive(edits)
            changed = [e.path for e in edits]
            for path in dict.fromkeys(changed):
                if has_syntax_error(new_state.read(path)):
                    raise Rejected(f"the patched {path} does not compile")
            if all(new_state.read(p) == state.read(p) for p in changed):
                raise Rejected("the blocks change nothing")
        except Rejected as exc:
            self._reject(str(exc))
            return None, explanation
        first = edits[0]
        line = state.read(first.path)[: first.start].count(b"\n") + 1
        desc = explanation.split(". ")[0][:120] if explanation else "model patch"
        where = ", ".join(dict.fromkeys(changed))
        return (
            Candidate(
                edits=tuple(edits),
                operator="model",
                description=f"model: {desc} ({where})",
                prior=MODEL_PRIOR,
                path=first.path,
                line=line,
            ),
            explanation,
        )

    def _reject(self, reason: str) -> None:
        self.stats.rejected += 1
        self.stats.reasons.append(reason)
        self._rejections.append(reason)
