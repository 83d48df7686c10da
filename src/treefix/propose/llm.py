"""LLMProposer: a model proposes patches as search/replace blocks, inside the same search.

The prompt carries the failing tests and how they fail, the localised code (the enclosing
functions or classes of the suspicious lines, found with tree-sitter, with line numbers), this
state's own patch and critique, and what was already tried on this branch and beside it with how
each run ended (ChatRepair's "don't repeat these", SWE-Search's hindsight). Several samples are
drawn per expansion. A response whose blocks do not all match the file (exactly, then once more
ignoring whitespace) is rejected whole, and so is one with a block left open (an answer cut at
the token limit is never half-applied); rejections are counted and quoted in the next prompt.
Candidates must compile and never touch test files; the search drops already-seen states.

Small context windows (local models): when the model's window is known (`context_window`, or
learned from a "prompt too long" error), the prompt is trimmed before it is sent: the code context
keeps the most suspicious lines first (fewer suspicious lines, shorter windows around them), the
history of tried patches is shortened, and the run says so.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from treefix.code.syntax import has_syntax_error, parse
from treefix.code.testfiles import is_test_file
from treefix.errors import ContextOverflow
from treefix.models.base import Message, Request
from treefix.models.gateway import Gateway
from treefix.propose.prompts import load, phrase, render
from treefix.protocols import Feedback
from treefix.types import Candidate, Edit, ProgramState, Suspicion

MODEL_PRIOR = 1.0  # model patches are tried before cheap mutants
MAX_CONTEXT_LINES = 400
MAX_FILES = 4
MAX_RESPONSE_CHARS = 1 << 20  # a bigger answer is rejected whole, unparsed
MAX_SNIPPET = 120  # lines of one enclosing definition shown; longer ones are windowed
_BLOCK = re.compile(
    r"<{5,9} ?SEARCH[ \t]*(?P<path>[^\n]*)\n(?P<old>.*?)\n?={5,9}[ \t]*\n(?P<new>.*?)\n?>{5,9} ?REPLACE",
    re.S,
)
_OPEN = re.compile(r"<{5,9} ?SEARCH")
# Trimming levels for small context windows: (code lines shown, most suspicious lines kept,
# tried patches kept, characters of critique kept). Level 0 is the untrimmed prompt.
TRIM_LEVELS = (
    (MAX_CONTEXT_LINES, None, None, None),
    (160, 8, 4, 1500),
    (80, 4, 2, 800),
    (40, 2, 1, 400),
    (20, 1, 0, 200),
)
MIN_ANSWER_TOKENS = 128  # room kept for the answer when trimming to a window
_EXPLANATION = re.compile(r"EXPLANATION:\s*(?P<text>.+?)(?=\n\s*<{5,9}|\Z)", re.S)


class Rejected(ValueError):
    pass


@dataclass
class Block:
    path: str
    old: str
    new: str


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


def parse_response(text: str) -> tuple[str, list[Block]]:
    m = _EXPLANATION.search(text)
    explanation = " ".join(m.group("text").split()) if m else ""
    blocks = []
    for b in _BLOCK.finditer(text):
        path = b.group("path").strip().strip("`").strip()
        blocks.append(Block(path, b.group("old"), b.group("new")))
    return explanation[:600], blocks


def _match_exact(source: str, old: str) -> tuple[int, int] | None:
    if not old:
        return None
    first = source.find(old)
    if first < 0 or source.find(old, first + 1) >= 0:
        return None
    return first, first + len(old)


def _match_loose(source: str, old: str, new: str) -> tuple[int, int, str] | None:
    """Line-wise match ignoring surrounding whitespace; the replacement is re-indented by the
    difference in indentation between the file and the block."""
    want = [ln.strip() for ln in old.splitlines()]
    while want and not want[-1]:
        want.pop()
    while want and not want[0]:
        want.pop(0)
    if not want:
        return None
    lines = source.splitlines(keepends=True)
    stripped = [ln.strip() for ln in lines]
    hits = [i for i in range(len(lines) - len(want) + 1) if stripped[i : i + len(want)] == want]
    if len(hits) != 1:
        return None
    i = hits[0]
    start = sum(len(ln) for ln in lines[:i])
    end = start + sum(len(ln) for ln in lines[i : i + len(want)])
    file_indent = re.match(r"[ \t]*", lines[i]).group(0)
    first_old = next(ln for ln in old.splitlines() if ln.strip())
    block_indent = re.match(r"[ \t]*", first_old).group(0)
    out = []
    for ln in new.splitlines():
        if ln.strip() and ln.startswith(block_indent):
            ln = file_indent + ln[len(block_indent) :]
        elif ln.strip():
            ln = file_indent + ln.lstrip()
        out.append(ln)
    replacement = "\n".join(out)
    if lines[i + len(want) - 1].endswith("\n"):
        replacement += "\n"
    return start, end, replacement


def blocks_to_edits(state: ProgramState, blocks: Sequence[Block]) -> list[Edit]:
    """Byte-offset edits of one response, or Rejected with the reason."""
    known = set(state.paths())
    per_file: dict[str, list[tuple[int, int, str]]] = {}
    for n, b in enumerate(blocks, 1):
        path = b.path.removeprefix("./")
        if path not in known:
            raise Rejected(f"block {n}: unknown file {b.path!r}")
        if is_test_file(path):
            raise Rejected(f"block {n}: {path} is a test file; tests must not be edited")
        text = state.read(path).decode("utf-8", "surrogateescape")
        hit = _match_exact(text, b.old)
        if hit is not None:
            span = (hit[0], hit[1], b.new)
        else:
            loose = _match_loose(text, b.old, b.new)
            if loose is None:
                raise Rejected(f"block {n}: SEARCH text does not match exactly one place in {path}")
            span = loose
        per_file.setdefault(path, []).append(span)
    edits: list[Edit] = []
    for path, spans in per_file.items():
        text = state.read(path).decode("utf-8", "surrogateescape")
        spans.sort()
        for (_, e1, _), (s2, _, _) in zip(spans, spans[1:], strict=False):
            if s2 < e1:
                raise Rejected(f"two blocks overlap in {path}")
        for s, e, rep in spans:
            # character offsets -> byte offsets
            bs = len(text[:s].encode("utf-8", "surrogateescape"))
            be = bs + len(text[s:e].encode("utf-8", "surrogateescape"))
            edits.append(Edit(path, bs, be, rep))
    return edits


def numbered(lines: list[str], lo: int, hi: int, marks: set[int]) -> str:
    width = len(str(hi))
    return "\n".join(
        f"{'>>' if i in marks else '  '}{i:>{width}} | {lines[i - 1]}" for i in range(lo, hi + 1)
    )


def code_context(
    state: ProgramState,
    focus: Sequence[Suspicion],
    max_lines: int = MAX_CONTEXT_LINES,
    top: int | None = None,
) -> str:
    """The enclosing function or class of each suspicious line, grouped by file, with numbers.
    `top` keeps only the most suspicious lines; `max_lines` bounds the lines shown, and a
    definition longer than what is left is shown as a window around its most suspicious line."""
    by_file: dict[str, list[Suspicion]] = {}
    ranked = [
        s
        for s in sorted(focus, key=lambda s: -s.score)
        if s.path.endswith(".py") and not is_test_file(s.path)
    ]
    for s in ranked[:top] if top else ranked:
        if s.path not in by_file and len(by_file) >= MAX_FILES:
            continue
        by_file.setdefault(s.path, []).append(s)
    parts: list[str] = []
    budget = max_lines
    for path, sus in by_file.items():
        try:
            source = state.read(path)
        except KeyError:
            continue
        lines = source.decode("utf-8", "replace").splitlines()
        tree = parse(source)
        spans: list[tuple[int, int]] = []
        marks = {s.line for s in sus[:10]}
        for s in sus[:10]:
            lo, hi = _enclosing(tree, s.line, lines)
            spans.append((lo, hi))
        merged: list[list[int]] = []
        for lo, hi in sorted(spans):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        chunks = []
        for lo, hi in merged:
            if budget <= 0:
                break
            if hi - lo + 1 > budget:  # centre what fits on the most suspicious line inside
                inside = [s.line for s in sus if lo <= s.line <= hi] or [lo]
                lo = max(lo, min(inside[0] - budget // 2, hi - budget + 1))
                hi = lo + budget - 1
            budget -= hi - lo + 1
            chunks.append(numbered(lines, lo, hi, marks))
        if chunks:
            parts.append(f"### {path}\n```python\n" + "\n   ...\n".join(chunks) + "\n```")
    return "\n\n".join(parts) or "(no suspicious source lines were localised)"


def _enclosing(tree, line: int, lines: list[str]) -> tuple[int, int]:
    """The innermost def/class around `line` (short enough), found by a point lookup in the
    tree rather than a walk over it: long files cost no more than short ones."""
    n_lines = len(lines)
    text = lines[line - 1] if 0 < line <= n_lines else ""
    col = len(text) - len(text.lstrip())
    node = tree.root_node.descendant_for_point_range((line - 1, col), (line - 1, col))
    best = None
    while node is not None:
        if node.type in ("function_definition", "class_definition", "decorated_definition"):
            best = node
            if node.end_point[0] - node.start_point[0] + 1 <= MAX_SNIPPET:
                break
        node = node.parent
    if best is None or best.end_point[0] - best.start_point[0] + 1 > MAX_SNIPPET:
        return max(1, line - 15), min(n_lines, line + 15)
    return best.start_point[0] + 1, min(n_lines, best.end_point[0] + 1)


def _failing(feedback: Feedback, root_messages: dict[str, str]) -> str:
    out = []
    for t in list(feedback.targets)[:10]:
        msg = root_messages.get(t, "")
        out.append(f"- {t}" + (f": {msg[:300]}" if msg else ""))
    return "\n".join(out) or phrase("no_failing")


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
        context = render("context.txt", code=code_context(state, focus, lines, top))
        current = ""
        if feedback.patch:
            current = render("patch_applied.txt", patch=feedback.patch.strip())
        rejected = ""
        if self._rejections:
            reasons = "\n".join(f"- {r}" for r in self._rejections[-3:])
            rejected = render("rejected.txt", reasons=reasons)
        variant = render("variant.txt", number=sample + 1) if sample > 0 else ""
        critique = _cut(feedback.critique.strip() or phrase("no_critique"), critique_chars)
        task = render(
            "propose.txt",
            failing=_failing(feedback, self.root_messages),
            critique=critique,
            current_patch=current,
            tried=_tried(feedback, keep_tried),
            rejected=rejected,
            variant=variant,
        )
        return Request(
            system=system,
            messages=(Message("user", context, cache=True), Message("user", task)),
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
                reply = self.gateway.complete(request)  # BudgetExhausted / ProviderError
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
        opened = len(_OPEN.findall(text))
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
