"""The context oracle of the model track answers the reference fix only when the prompt holds
the changed lines and the assertion message; its blocks apply to the buggy case and fix it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from treefix.propose.blocks import blocks_to_edits, parse_response
from treefix.types import ProgramState

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("context_oracle", ROOT / "bench/context_oracle.py")
oracle_mod = importlib.util.module_from_spec(_spec)
sys.modules["context_oracle"] = oracle_mod  # its dataclasses look their module up
_spec.loader.exec_module(oracle_mod)

CASE = ROOT / "bench/corpus/divisors"
MESSAGE = "assert [1, 2, 3] == [1, 2, 3, 6]"


def _body(text: str) -> dict:
    return {"system": [{"text": "sys"}], "messages": [{"role": "user", "content": text}]}


def test_the_fix_only_when_code_and_message_are_both_shown():
    hunks = oracle_mod.parse_patch((ROOT / "bench/fixes/divisors.patch").read_text())
    oracle = oracle_mod.Oracle(hunks, MESSAGE)
    assert oracle.changed == ["for d in range(1, n):"]
    code = "  6 |     for d in range(1, n):\n"
    fix = oracle(_body(code + "E   " + MESSAGE))
    assert "range(1, n + 1)" in fix
    for partial in (code, "E   " + MESSAGE):
        assert "# checked" in oracle(_body(partial))  # the plausible wrong patch
    state = ProgramState(
        {p.relative_to(CASE).as_posix(): p.read_bytes() for p in CASE.rglob("*.py")}
    )
    _, blocks = parse_response(fix)
    new = state.derive(blocks_to_edits(state, blocks)).read("numtheory/divisors.py")
    assert b"for d in range(1, n + 1):" in new
