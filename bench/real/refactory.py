"""Refactory's student programs (githubhuyang/refactory, data.zip): cases, submissions, pairing.

The dataset has wrong and correct submissions but no per-student pairs. As Refactory itself does
(it repairs a wrong program towards the closest correct one), a wrong submission is paired with the
correct submission nearest to it: fewest changed lines between the two after `ast.unparse`
normalisation. Only close pairs are kept (MAX_CHANGED lines), so the pair reads as a fix.
"""

from __future__ import annotations

import ast
import difflib
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

import mirrors
from programs import Case, normalise

REPO = "githubhuyang/refactory"
ARCHIVE = "data.zip"
MAX_CHANGED = 3


@dataclass
class Question:
    name: str  # question_1
    cases: list[Case]
    prelude: str  # global.py, "" when absent
    prelude_path: str | None
    wrong: dict[str, str]  # archive path -> source
    correct: dict[str, str]


def load_question(mirror_root: Path, commit: str, question: str) -> Question:
    names = mirrors.zip_names(mirror_root, REPO, commit, ARCHIVE)
    base = f"data/{question}"

    def read(member: str) -> str:
        return mirrors.zip_member(mirror_root, REPO, commit, ARCHIVE, member)

    cases = []
    for member in sorted(n for n in names if re.fullmatch(rf"{base}/ans/input_\d+\.txt", n)):
        num = re.search(r"input_(\d+)\.txt$", member).group(1)  # type: ignore[union-attr]
        out = f"{base}/ans/output_{num}.txt"
        if out in names:
            cases.append(Case(num, read(member), read(out)))
    prelude_path = f"{base}/code/global.py"
    has_prelude = prelude_path in names
    return Question(
        question,
        cases,
        read(prelude_path) if has_prelude else "",
        prelude_path if has_prelude else None,
        {n: read(n) for n in names if n.startswith(f"{base}/code/wrong/") and n.endswith(".py")},
        {n: read(n) for n in names if n.startswith(f"{base}/code/correct/") and n.endswith(".py")},
    )


def questions(mirror_root: Path, commit: str) -> list[str]:
    names = mirrors.zip_names(mirror_root, REPO, commit, ARCHIVE)
    found = {n.split("/")[1] for n in names if re.match(r"data/question_\d+/", n)}
    return sorted(found, key=lambda q: int(q.split("_")[1]))


def changed_lines(a: list[str], b: list[str]) -> int:
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def try_normalise(source: str) -> str | None:
    try:
        return normalise(source)
    except (SyntaxError, ValueError, RecursionError):
        return None


def nearest_correct(wrong_src: str, correct: dict[str, list[str]]) -> tuple[str, int] | None:
    """(archive path, changed lines) of the closest correct submission, None if none is close."""
    lines = wrong_src.splitlines()
    best: tuple[int, str] | None = None
    for path, other in correct.items():
        if abs(len(other) - len(lines)) > MAX_CHANGED:
            continue
        n = changed_lines(lines, other)
        if n and n <= MAX_CHANGED and (best is None or (n, path) < best):
            best = (n, path)
    return (best[1], best[0]) if best else None


def pairs(question: Question) -> list[tuple[str, str, int]]:
    """(wrong path, correct path, changed lines), one per distinct normalised wrong program."""
    correct: dict[str, list[str]] = {}
    seen_correct: set[str] = set()
    for path in sorted(question.correct):
        norm = try_normalise(question.correct[path])
        if norm and norm not in seen_correct:
            seen_correct.add(norm)
            correct[path] = norm.splitlines()
    out = []
    seen: set[str] = set()
    for path in sorted(question.wrong):
        norm = try_normalise(question.wrong[path])
        if not norm or norm in seen or norm in seen_correct:
            continue
        seen.add(norm)
        found = nearest_correct(norm, correct)
        if found:
            out.append((path, found[0], found[1]))
    return out


def bug_id(question: str, wrong_path: str) -> str:
    stem = posixpath.splitext(posixpath.basename(wrong_path))[0]  # wrong_1_001
    return f"refactory-q{question.split('_')[1]}-{stem.removeprefix('wrong_')}"


def parses(source: str) -> bool:
    try:
        ast.parse(source)
        return True
    except SyntaxError:
        return False
