"""LLMProposer: prompts with localised code and history, search/replace parsing, rejections."""

from __future__ import annotations

import pytest

from treefix.models import Gateway, ScriptedModel
from treefix.propose.blocks import Block, Rejected, blocks_to_edits, parse_response
from treefix.propose.code_context import code_context
from treefix.propose.llm import LLMProposer
from treefix.protocols import Attempt, Feedback
from treefix.types import ProgramState, Suspicion

SRC = {
    "pkg/core.py": b'def greeting(name):\n    return "Helo, " + name + "!"\n\n\ndef other():\n    return 1\n',
    "tests/test_core.py": b"def test_x():\n    assert True\n",
}
FIX = (
    "EXPLANATION: The literal is misspelled.\n\n"
    "<<<<<<< SEARCH pkg/core.py\n"
    '    return "Helo, " + name + "!"\n'
    "=======\n"
    '    return "Hello, " + name + "!"\n'
    ">>>>>>> REPLACE\n"
)
FOCUS = [Suspicion("pkg/core.py", 2, 0.9, ("traceback",))]
TARGETS = ["tests/test_core.py::test_greeting"]


def _proposer(*responses, samples=1):
    model = ScriptedModel(list(responses))
    return LLMProposer(Gateway(model), samples=samples), model


def test_a_correct_block_becomes_a_candidate_with_byte_offsets():
    prop, _ = _proposer(FIX)
    state = ProgramState(SRC)
    fb = Feedback(None, TARGETS)
    (cand,) = prop.propose(state, FOCUS, fb)
    new = state.derive(cand.edits).read("pkg/core.py")
    assert b'"Hello, "' in new and b"def other" in new
    assert cand.operator == "model" and cand.line == 2
    assert fb.explanation == "The literal is misspelled."


def test_whitespace_tolerant_retry_reindents_the_replacement():
    loose = FIX.replace('    return "Helo', 'return "Helo').replace(
        '    return "Hello', 'return "Hello'
    )
    prop, _ = _proposer(loose)
    (cand,) = prop.propose(ProgramState(SRC), FOCUS, Feedback(None, TARGETS))
    new = ProgramState(SRC).derive(cand.edits).read("pkg/core.py")
    assert b'    return "Hello, " + name + "!"\n' in new


@pytest.mark.parametrize(
    "text,reason",
    [
        (FIX.replace("Helo, ", "Hullo, ", 1), "does not match"),
        (FIX.replace("pkg/core.py", "tests/test_core.py"), "test file"),
        (FIX.replace("pkg/core.py", "nope.py"), "unknown file"),
        (FIX.replace('"Hello, " + name + "!"', '"Hello, " + name +'), "does not compile"),
        ("I think the bug is in greeting.", "no SEARCH/REPLACE block"),
    ],
)
def test_a_bad_response_is_rejected_whole_and_fed_back(text, reason):
    good = "\n<<<<<<< SEARCH pkg/core.py\n    return 1\n=======\n    return 2\n>>>>>>> REPLACE\n"
    two_blocks = text + good if "SEARCH" in text else text  # one bad block spoils a good one
    prop, model = _proposer(two_blocks, FIX)
    state = ProgramState(SRC)
    assert prop.propose(state, FOCUS, Feedback(None, TARGETS)) == []
    assert prop.stats.rejected == 1 and reason in prop.stats.reasons[0]
    (cand,) = prop.propose(state, FOCUS, Feedback(None, TARGETS))
    assert "previous answers were rejected" in model.requests[1].messages[1].content
    assert reason in model.requests[1].messages[1].content


def test_overlapping_blocks_are_rejected():
    blocks = [
        Block("pkg/core.py", "def greeting(name):\n", "x"),
        Block("pkg/core.py", "greeting(name):\n    return", "y"),
    ]
    with pytest.raises(Rejected, match="overlap"):
        blocks_to_edits(ProgramState(SRC), blocks)


def test_parse_response_reads_explanation_and_blocks():
    expl, blocks = parse_response(FIX)
    assert expl == "The literal is misspelled."
    assert blocks[0].path == "pkg/core.py" and "Helo" in blocks[0].old


def test_context_shows_the_enclosing_function_with_line_numbers_and_marks():
    ctx = code_context(ProgramState(SRC), FOCUS)
    assert "### pkg/core.py" in ctx
    assert '>>2 |     return "Helo, "' in ctx
    assert " 1 | def greeting(name):" in ctx
    assert "def other" not in ctx  # only the enclosing definition


def test_prompt_carries_failures_critique_history_and_cache_marks():
    prop, model = _proposer(FIX)
    prop.root_messages = {TARGETS[0]: "AssertionError: assert 'Helo, Ada!' == 'Hello, Ada!'"}
    tried = [
        Attempt(
            "replace `+` by `-`",
            "--- a/pkg/core.py\n+++ b/pkg/core.py\n",
            "failed: 0/1 targets pass, reward 0.00",
            "run: failed\nTypeError",
            "sibling",
        )
    ]
    fb = Feedback(None, TARGETS, tried=tried, critique="run: failed\n- t: AssertionError")
    prop.propose(ProgramState(SRC), FOCUS, fb)
    req = model.requests[0]
    assert req.messages[0].cache and not req.messages[1].cache
    task = req.messages[1].content
    assert "Hello, Ada!" in task and "replace `+` by `-`" in task and "do not repeat" in task
    assert "TypeError" in task and "run: failed" in task
    assert "Never edit test files" in req.system


def test_samples_are_separate_requests_and_duplicates_dropped():
    prop, model = _proposer(FIX, FIX, samples=2)
    cands = prop.propose(ProgramState(SRC), FOCUS, Feedback(None, TARGETS))
    assert len(cands) == 1 and len(model.requests) == 2
    assert [r.sample for r in model.requests] == [0, 1]
    assert model.requests[0].digest("s", "m") != model.requests[1].digest("s", "m")


def test_prompts_are_read_from_the_package_or_the_repo():
    from treefix.code.prompts import load

    for name in ("system.txt", "context.txt", "propose.txt", "value.txt", "judge.txt"):
        assert load(name).strip()


def test_every_prompt_piece_and_phrase_in_use_exists_and_fills():
    from treefix.code.prompts import phrase, render

    pieces = ("patch_applied.txt", "tried.txt", "rejected.txt", "variant.txt", "candidate.txt")
    for name in pieces:
        text = render(name, patch="P", number=2, reasons="R", relation="L", description="D")
        assert text.endswith("\n") and "{patch}" not in text and "{number}" not in text
    for name in ("reviewer", "no_failing", "no_critique", "no_change", "no_detail", "nothing_tried"):
        assert phrase(name) and "\n" not in phrase(name)
    assert phrase("tried_left_out", count=3).startswith("(3 patches tried")
    assert phrase("why", critique="{critique}") == "why: {critique}"  # filled once, not again
