"""Hierarchical localisation for large repositories (Agentless): the model ranks files from a
repository map, then functions from the skeletons of those files, then edit lines from those
functions' code. Three calls through the gateway (budgeted like any other), the retrieval tools
available at each step.

`merge` joins the result with the spectrum (traceback + Ochiai): where the failing tests cover the
code, the spectrum leads and the model's agreement raises a location; where they cover nothing (a
wrong default in a configuration module, a missing call), the model's locations are used alone.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from treefix.code.prompts import phrase, render
from treefix.code.repomap import repo_map
from treefix.code.testfiles import is_test_file
from treefix.models.base import Message, Request
from treefix.models.gateway import Gateway
from treefix.propose.tools import Toolbox, ToolLoop
from treefix.types import ProgramState, Suspicion, TestReport

MAX_FILES = 5
MAX_FUNCTIONS = 8
MAX_LINES = 8
MODEL_TOP = 0.9  # the model's first location; later ones decay (a model is not a spectrum)
DECAY = 0.85
_FILE = re.compile(r"FILE:\s*`?([^\s`]+)`?")
_LOCATION = re.compile(r"LOCATION:\s*`?([^\s`:]+):([\w.]+)`?")
_EDIT = re.compile(r"EDIT:\s*`?([^\s`:]+):(\d+)`?")


@dataclass
class Located:
    files: list[str] = field(default_factory=list)
    functions: list[tuple[str, str]] = field(default_factory=list)
    lines: list[tuple[str, int]] = field(default_factory=list)
    suspicions: list[Suspicion] = field(default_factory=list)


def _spans(source: bytes) -> list[tuple[str, int, int]]:
    """(qualified name, first line, last line) of every function and class, outermost first."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    out: list[tuple[str, int, int]] = []

    def walk(body, prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + node.name
                out.append((name, node.lineno, node.end_lineno or node.lineno))
                if isinstance(node, ast.ClassDef):
                    walk(node.body, name + ".")

    walk(tree.body, "")
    return out


def statement_start(source: bytes, line: int) -> int:
    """The first line of the innermost statement holding `line` (what proposers edit)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return line
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    starts = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt)
        and node.lineno <= line <= (node.end_lineno or node.lineno)
        and (not isinstance(node, defs) or node.lineno == line)
    ]
    return max(starts, default=line)


def failing_summary(report: TestReport, targets: Sequence[str]) -> str:
    lines = []
    for t in list(targets)[:10]:
        outcome = report.tests.get(t)
        msg = outcome.message[:300] if outcome is not None and outcome.message else ""
        lines.append(f"- {t}" + (f": {msg}" if msg else ""))
    return "\n".join(lines) or report.tail(15)


class HierarchicalLocalizer:
    def __init__(self, gateway: Gateway, tool_rounds: int = 2, max_tokens: int = 1024):
        self.gateway = gateway
        self.loop = ToolLoop(gateway, tool_rounds)
        self.max_tokens = max_tokens

    def _ask(self, prompt: str, box: Toolbox, step: int) -> str:
        request = Request(
            system=phrase("locator"),
            messages=(Message("user", prompt),),
            temperature=0.0,
            max_tokens=self.max_tokens,
            sample=step,
            purpose="localize",
        )
        return self.loop.complete(request, box).text

    def locate(self, state: ProgramState, report: TestReport, targets: Sequence[str]) -> Located:
        paths = state.paths()
        sources = {p: state.read(p) for p in paths}
        box = Toolbox(paths, state.read)
        failing = failing_summary(report, targets)
        found = Located()
        # 1. files, from the repository map
        text = self._ask(
            render(
                "locate_files.txt", failing=failing, repo_map=repo_map(sources), limit=MAX_FILES
            ),
            box,
            0,
        )
        code = [p for p in paths if not is_test_file(p)]
        found.files = _unique(p for p in _FILE.findall(text) if p in code)[:MAX_FILES]
        if not found.files:
            return found
        # 2. functions, from the files' skeletons
        skeletons = "\n\n".join(
            f"{p}:\n"
            + (
                "\n".join(f"  {n} (lines {a}-{b})" for n, a, b in _spans(sources[p]))
                or "  (module-level code only)"
            )
            for p in found.files
        )
        text = self._ask(
            render(
                "locate_functions.txt", failing=failing, skeletons=skeletons, limit=MAX_FUNCTIONS
            ),
            box,
            1,
        )
        spans: list[tuple[str, int, int]] = []
        for path, name in _LOCATION.findall(text):
            if path not in found.files:
                continue
            if name.isdigit():
                spans.append((path, int(name), int(name)))
                found.functions.append((path, name))
                continue
            for qual, a, b in _spans(sources[path]):
                if qual == name or qual.endswith("." + name):
                    spans.append((path, a, b))
                    found.functions.append((path, qual))
                    break
        spans = spans[:MAX_FUNCTIONS]
        if not spans:  # no function named: the files' module-level code
            spans = [(p, 1, sources[p].count(b"\n") + 1) for p in found.files]
        # 3. edit lines, from the code of those functions
        blocks = []
        for path, a, b in spans:
            lines = sources[path].decode("utf-8", "replace").splitlines()
            lo, hi = max(1, a - 2), min(len(lines), b + 2, a + 120)
            body = "\n".join(f"{n:>5}  {lines[n - 1]}" for n in range(lo, hi + 1))
            blocks.append(f"{path}:\n{body}")
        text = self._ask(
            render("locate_lines.txt", failing=failing, code="\n\n".join(blocks), limit=MAX_LINES),
            box,
            2,
        )
        for path, line in _EDIT.findall(text):
            n = int(line)
            if any(p == path and a - 2 <= n <= b + 2 for p, a, b in spans):
                found.lines.append((path, statement_start(sources[path], n)))
        found.lines = _unique(found.lines)[:MAX_LINES]
        if not found.lines:  # the function starts stand in for lines the model did not name
            found.lines = _unique((p, a) for p, a, _ in spans)
        found.suspicions = [
            Suspicion(p, n, round(MODEL_TOP * DECAY**i, 4), ("model",))
            for i, (p, n) in enumerate(found.lines)
        ]
        return found


def _unique(items):
    return list(dict.fromkeys(items))


def merge(spectrum: Sequence[Suspicion], model: Sequence[Suspicion]) -> list[Suspicion]:
    """The spectrum's ranking with the model's agreement added; the model alone where the spectrum
    has nothing. A location both name rises above either; model-only locations in files the
    spectrum covers keep their score, elsewhere they rank below covered code."""
    if not model:
        return list(spectrum)
    if not spectrum:
        return list(model)
    covered = {s.path for s in spectrum}
    out = {(s.path, s.line): s for s in spectrum}
    for m in model:
        key = (m.path, m.line)
        if key in out:
            s = out[key]
            out[key] = Suspicion(
                s.path, s.line, min(1.0, max(s.score, m.score) + 0.1), (*s.reasons, "model")
            )
        else:
            score = m.score if m.path in covered else m.score * 0.5
            out[key] = Suspicion(m.path, m.line, round(score, 4), m.reasons)
    return sorted(out.values(), key=lambda s: (-s.score, s.path, s.line))
