"""bench/real/patterns.py: the edit families it assigns to developer fixes (its PATTERNS.md is
the proposer's priority list, so a misfiled edit misorders the work)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[2] / "bench" / "real"
sys.path.insert(0, str(REAL))

import patterns  # noqa: E402


def _families(buggy: str, fixed: str) -> list[str]:
    return [e.family for e in patterns.classify(buggy, fixed)]


@pytest.mark.parametrize(
    ("old", "new", "family"),
    [
        ("    a += i", "    a += [i]", "wrap in list/tuple"),
        ("    t = s.lower", "    t = s.lower()", "missing call ()"),
        ("    print(x)", "    return x", "print -> return"),
        ("    if a == b[1]:", "    if s == b[1]:", "wrong variable"),
        ("    if day == b[1]:", "    if a == b[1]:", "unbound name (NameError)"),
        ("    if x < y:", "    if x <= y:", "operator"),
        ("    n = 0", "    n = 1", "constant"),
        (
            "    if s == [] or ():",
            "    if s == [] or s == ():",
            "comparison completed (`x == 1 or 2`)",
        ),
        ("    count == 0", "    count = 0", "comparison for assignment (`==` -> `=`)"),
        ("    a = b.append(x)", "    b.append(x)", "in-place call's None assigned"),
        ("    a = s.m[x]", "    a = s.m(x)", "missing call ()"),
        ("    return f(x)", "    return f(x, y)", "call arguments changed"),
        ("    if a:", "    if a and b:", "condition clause added"),
    ],
)
def test_one_line_families(old: str, new: str, family: str):
    body = "\n        pass" if old.endswith(":") else ""
    buggy = f"def f(a, b, s, x, y):\n{old}{body}\n"
    assert _families(buggy, f"def f(a, b, s, x, y):\n{new}{body}\n") == [family]


def test_indentation_move_insert_and_delete():
    buggy = "def f(xs):\n    for x in xs:\n        y = x\n    return y\n"
    dedented = "def f(xs):\n    for x in xs:\n        pass\n    y = x\n    return y\n"
    assert "statement moved" in _families(buggy, dedented)
    assert _families(buggy, buggy.replace("        y = x", "    y = x")) == [
        "indentation (into/out of a block)"
    ]
    inserted = buggy.replace("        y = x\n", "        y = x\n        break\n")
    assert _families(buggy, inserted) == ["jump inserted (return/break/continue)"]
    assert _families(inserted, buggy) == ["statement deleted"]


def test_compare_tables_only_the_bugs_both_runs_scored(tmp_path: Path):
    import json

    import compare

    def row(i: str, ok: bool, evals: int) -> dict:
        return {
            "id": i,
            "kind": "program",
            "plausible": ok,
            "ast_equal": ok,
            "fixed_by_treefix": ok,
            "evaluations": evals,
            "evals_to_first_fix": evals if ok else None,
            "time_to_first_fix": 1.0 if ok else None,
            "wall": 2.0,
            "fl_rank": 1,
            "stop_reason": "fixed" if ok else "evaluation budget",
        }

    (tmp_path / "a.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in [row("b1", False, 200), row("b2", True, 5)])
    )
    (tmp_path / "b.jsonl").write_text(
        "".join(
            json.dumps(r) + "\n"
            for r in [row("b1", True, 7), row("b2", True, 3), row("b3", True, 1)]
        )
    )
    lines = compare.compare({n: compare.load(tmp_path / f"{n}.jsonl") for n in ("a", "b")})
    text = "\n".join(lines)
    assert "| a | 2 | 1/2 (50%) |" in text
    assert "| b | 2 | 2/2 (100%) |" in text  # b3 is not in run a: not compared
    assert "| b1 | no (evaluation budget, 200 evals) | yes, AST-equal (7 evals) |" in text
    assert "b3" not in text
