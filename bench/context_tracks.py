#!/usr/bin/env python3
"""The context oracle over three tracks, with retrieval, token and cache figures.

    python bench/context_tracks.py --track corpus|real|real-repos|large [--limit N] [--seed 0]
                                   [--only a,b] [--work DIR] [--prompts-dir DIR]
                                   [--json-out F] [--append bench/RESULTS-model.md]

`--work`: a shared bench/real/build.py build (read only; default bench/real/.work);
`--prompts-dir`: each case's first prompt and run report, for diagnosing misses.

Tracks: `corpus` (the 44 cases), `real` (the real-bug corpus's program bugs built by
`bench/real/build.py --kind program`, under bench/real/.work/bugs), `large` (networkx, 650
Python files, with the injected bugs of bench/large_repo.py).

The oracle (bench/context_oracle.py's) answers with the reference fix only when the prompt,
tool results included, holds the lines of code the fix changes (`code_lines` says which: not
brand-new definitions, imports, docstrings or moved lines) and the failing assertion message;
the strict measure (every hunk of the developer's commit) is reported beside it.
Here, while the lines are missing, it first asks for them with a `read_file` tool call (the fix's
file, around the hunk; at most READS per case), then answers a plausible wrong patch. The local
server counts tokens and prompt caching as the real APIs do (tests/models/llm_server.py,
count_tokens). Per case: first-prompt recall (changed lines, assertion message, test source),
recall after retrieval (any request of the case holds the lines), fixed, model and tool calls,
input tokens (uncached + cache reads + cache writes, over the case's requests) and the share read
from the cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # tests.models.llm_server
sys.path.insert(0, str(BENCH))

from context_oracle import (  # noqa: E402
    Hunk,
    Oracle,
    _has_tests,
    _pct,
    baseline_failure,
    blocks,
    changed_lines,
    parse_patch,
    prompt_text,
)

from tests.models.llm_server import LLMServer, Step  # noqa: E402
from tests.models.llm_server import prompt_text as full_text  # noqa: E402

READS = 6  # read_file calls the oracle asks for per case before it guesses
NUMBERED = re.compile(r"^\s*\d+  ")  # read_file's "   12  code" lines


@dataclass
class Case:
    id: str
    proj: Path
    patch: str
    test_cmd: str | None  # None: treefix finds the command
    pytest_args: tuple[str, ...] = ()
    python: str = sys.executable  # runs the plain pytest that reads the failure beforehand


@dataclass
class Result:
    case: str
    changed_lines: bool = False
    changed_lines_any: bool = False  # after retrieval: some request of the case held them
    # the first prompt holds at least one changed line (developer commits also touch docstrings
    # and code the failure never reaches; the strict measure wants every hunk)
    some_changed_line: bool = False
    # the measure the oracle answers by: the fix's lines that change existing code (code_lines
    # says which); brand-new definitions, docstrings and comments no context could hold
    code_lines: bool = False
    code_lines_any: bool = False
    assertion_message: bool = False
    test_source: bool = False
    first_prompt_chars: int = 0
    fixed: bool = False
    model_calls: int = 0
    tool_calls: int = 0
    input_tokens: int = 0  # uncached + cache reads + cache writes, every request of the case
    cache_read_tokens: int = 0
    status: str = ""
    message: str = ""  # the run's closing message (why it stopped)
    seconds: float = 0.0
    hang: bool = False
    hunks_first: list[bool] = field(default_factory=list)  # per hunk of the fix, first prompt


PROMPTS: Path | None = None  # --prompts-dir: each case's first prompt, for diagnosing misses


def _docstring_lines(source: str) -> set[int]:
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    out: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            v = body[0].value
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                out |= set(range(v.lineno, (v.end_lineno or v.lineno) + 1))
    return out


_NEW_DEF = re.compile(
    r"^\s*(def |async def |class |@|#|import |from \S+ import |\"\"\"|\'\'\'|[rRuUbB]?\"\"\")"
)
_IMPORT = re.compile(r"^\s*(import |from \S+ import )")


def code_lines(proj: Path, hunks: list[Hunk], starts: list[int]) -> list[list[str]]:
    """Per hunk, the lines a prompt must hold for a model to make that edit; [] for a hunk no
    context could contain. Counted: removed lines of code (comments, blank lines, docstring
    lines, import lines (they follow from the code edits) and lines the hunk re-adds unchanged,
    reindented or moved, left out); for a pure insertion of statements into existing code, the line it follows.
    Not counted: an insertion that starts a brand-new definition (class, def, decorator) or an
    import, or adds only comments or docstrings, and a hunk that changes only those. When no hunk counts, the
    first hunk's changed lines do (some place must be seen)."""
    docs: dict[str, set[int]] = {}
    out: list[list[str]] = []
    for h, start in zip(hunks, starts, strict=True):
        if h.path not in docs:
            docs[h.path] = _docstring_lines((proj / h.path).read_text(encoding="utf-8"))
        if h.removed:
            lines, i = [], 0
            removed = list(h.removed)
            moved = {ln.strip() for ln in h.added}  # re-added unchanged (reindented, reordered)
            for k, ln in enumerate(h.old):
                if removed[i : i + 1] == [ln]:
                    i += 1
                    code = ln.strip() and not ln.strip().startswith("#") and not _IMPORT.match(ln)
                    if code and ln.strip() not in moved and start + k not in docs[h.path]:
                        lines.append(ln.strip())
            out.append(lines)
            continue
        added = [ln for ln in h.added if ln.strip()]
        if not added or _NEW_DEF.match(added[0]):
            out.append([])
            continue
        before = 0
        while before < min(len(h.old), len(h.new)) and h.old[before] == h.new[before]:
            before += 1
        prefix = [ln.strip() for ln in h.old[:before] if ln.strip()]
        suffix = [ln.strip() for ln in h.old[before:] if ln.strip()]
        out.append(prefix[-1:] or suffix[:1])
    if hunks and not any(out):
        out[0] = changed_lines(hunks[:1])
    return out


class ReadingOracle(Oracle):
    """Asks for the fix's lines with read_file (READS at most) before it guesses; answers with
    the fix once the prompt holds the lines of code it changes (`code_lines`)."""

    def __init__(
        self, hunks: list[Hunk], message: str | None, starts: list[int], need: list[list[str]]
    ):
        super().__init__(hunks, message)
        self.changed = [ln for lines in need for ln in lines]
        self.answer: list[Hunk] = []  # the fix as SEARCH/REPLACE hunks (_unique's)
        self.starts, self.reads = starts, 0
        # one read per file the fix touches, spanning its hunks (split where it would pass
        # read_file's 200 lines)
        self.windows: list[dict] = []
        for h, start in sorted(zip(hunks, starts, strict=True), key=lambda x: (x[0].path, x[1])):
            lo, hi = max(1, start - 5), start + len(h.old) + 5
            last = self.windows[-1] if self.windows else None
            if last and last["path"] == h.path and hi - last["start"] < 200:
                last["end"] = max(last["end"], hi)
            else:
                self.windows.append({"path": h.path, "start": lo, "end": hi})

    def holds(self, text: str) -> tuple[bool, bool]:
        plain = "\n".join(NUMBERED.sub("", ln) for ln in text.splitlines())
        return super().holds(text + "\n" + plain)

    def locate(self, text: str) -> str | None:
        """The answer to a localisation stage (prompts/locate_*.txt): the fix's file, function
        line or edited line, when the prompt shows it; None for other requests."""
        h, start = self.hunks[0], self.starts[0]
        line = start + next((i for i, ln in enumerate(h.old) if ln.strip() in self.changed), 0)
        if "Which files most probably hold" in text:
            return f"FILE: {h.path}" if h.path in text else "FILE: (cannot tell)"
        if "Which functions, methods" in text:
            return f"LOCATION: {h.path}:{line}" if h.path in text else "LOCATION: (cannot tell)"
        if "Which lines must be edited" in text:
            return f"EDIT: {h.path}:{line}" if self.holds(text)[0] else "EDIT: (cannot tell)"
        return None

    def __call__(self, body: dict) -> Step | str:  # type: ignore[override]
        located = self.locate(full_text(body))
        if located is not None:
            return located
        code, message = self.holds(full_text(body))
        if code and message:
            return "EXPLANATION: The reference fix.\n\n" + blocks(self.answer or self.hunks)
        if not code and self.reads < min(READS, len(self.windows)) and "tools" in body:
            self.reads += 1
            return Step(tools=[("read_file", self.windows[self.reads - 1])])
        return super().__call__(body)


def _starts(proj: Path, hunks: list[Hunk]) -> list[int]:
    """1-based line where each hunk's old text begins in the buggy file (the @@ header's, else
    the first place it occurs)."""
    out = []
    for h in hunks:
        if h.start:
            out.append(h.start)
            continue
        lines = (proj / h.path).read_text(encoding="utf-8").splitlines()
        n = len(h.old)
        out.append(next((i + 1 for i in range(len(lines)) if lines[i : i + n] == h.old), 1))
    return out


def _unique(proj: Path, hunks: list[Hunk], starts: list[int]) -> list[Hunk]:
    """Each hunk widened by lines around it until its old text occurs once in its file: a SEARCH
    block must match exactly one place (a diff's 3 lines of context can repeat, as in two
    similar methods), as a model that saw the file would write it."""
    out = []
    for h, start in zip(hunks, starts, strict=True):
        lines = (proj / h.path).read_text(encoding="utf-8").splitlines()
        text = "\n".join(lines)
        before: list[str] = []
        after: list[str] = []
        lo, hi = start - 1, start - 1 + len(h.old)  # 0-based, hi exclusive
        while text.count("\n".join(before + h.old + after)) > 1 and (lo > 0 or hi < len(lines)):
            if lo > 0:
                lo -= 1
                before.insert(0, lines[lo])
            if hi < len(lines):
                after.append(lines[hi])
                hi += 1
        out.append(
            Hunk(h.path, before + h.old + after, before + h.new + after, h.removed, h.added, lo + 1)
        )
    return out


# -- the tracks ------------------------------------------------------------------------------------


def corpus_cases(tmp: Path) -> list[Case]:
    out = []
    for c in tomllib.loads((BENCH / "cases.toml").read_text())["cases"]:
        proj = tmp / c
        shutil.copytree(BENCH / "corpus" / c, proj)
        out.append(Case(c, proj, (BENCH / "fixes" / f"{c}.patch").read_text(), None))
    return out


WORK = BENCH / "real" / ".work"  # bench/real/build.py's --work; --work here overrides it


def real_cases(tmp: Path, kind: str = "program") -> list[Case]:
    """Built and validated bugs of bench/real (program: Refactory; repo: BugsInPy)."""
    import difflib

    validated = json.loads((BENCH / "real" / "validated.json").read_text())
    ok = {b["id"] for b in validated["bugs"] if b["outcome"] == "ok"}
    out = []
    root = WORK / "bugs"
    for d in sorted(root.iterdir()) if root.is_dir() else []:
        if not (d / "bug.json").exists() or d.name not in ok:
            continue
        meta = json.loads((d / "bug.json").read_text())
        if meta["bug"]["kind"] != kind:
            continue
        proj = tmp / d.name
        shutil.copytree(d / "repo", proj, ignore=shutil.ignore_patterns(".git"))
        patch = ""
        for path in meta["bug"]["changed_files"]:
            a = (proj / path).read_text(encoding="utf-8").splitlines(keepends=True)
            b = (d / "fix" / path).read_text(encoding="utf-8").splitlines(keepends=True)
            patch += "".join(difflib.unified_diff(a, b, f"a/{path}", f"b/{path}"))
        args = tuple(meta["bug"]["test_cmd"].split()[3:])  # after "{python} -m pytest"
        python = meta["test_cmd"].split()[0]
        out.append(Case(d.name, proj, patch, meta["test_cmd"], args, python))
    return out


def repo_cases(tmp: Path) -> list[Case]:
    return real_cases(tmp, "repo")


def large_cases(tmp: Path) -> list[Case]:
    from large_repo import INJECTIONS, build_case, source_tree

    tree = source_tree(BENCH / ".work" / "large")
    out = []
    for inj in INJECTIONS:
        proj, patch = build_case(inj, tree, tmp)
        cmd = inj.test_cmd.replace("{python}", sys.executable)
        out.append(Case(inj.id, proj, patch, cmd, ("-q", "-p", "no:cacheprovider", inj.tests)))
    return out


TRACKS = {
    "corpus": corpus_cases,
    "real": real_cases,
    "real-repos": repo_cases,
    "large": large_cases,
}


# -- one case --------------------------------------------------------------------------------------


def run_case(case: Case, server: LLMServer) -> Result:
    from treefix.pipeline.main import run as run_pipeline
    from treefix.pipeline.options import RunOptions

    hunks = parse_patch(case.patch)
    # a loaded machine makes a plain run slow: a hang is what outlasts 90 s, not 20
    message, failing = baseline_failure(
        case.proj, timeout=90, args=case.pytest_args, python=case.python
    )
    starts = _starts(case.proj, hunks)
    oracle = ReadingOracle(hunks, message, starts, code_lines(case.proj, hunks, starts))
    oracle.answer = _unique(case.proj, hunks, starts)
    strict = ReadingOracle(hunks, message, starts, [changed_lines(hunks)])  # every hunk
    server.default = oracle
    server.requests.clear()
    values: dict[str, object] = {
        "sandbox": "local",
        "proposer": "model",
        "provider": "anthropic",
        "base_url": server.url,
        "samples": 1,
        "workers": 1,
        "time_limit": 120.0,
        "max_llm_calls": 3 + READS,
        "max_evals": 12,
        "value": "off",  # proposal calls only
        "fixes": 1,  # one reference fix: stop there
    }
    if case.test_cmd:
        values["test_cmd"] = case.test_cmd
    res = Result(case.id)
    t0 = time.monotonic()
    try:
        outcome = run_pipeline(RunOptions.build(str(case.proj), values))
        run = outcome.record
        res.status = run.status
        res.message = run.message[:300]
        if PROMPTS is not None and outcome.report is not None:  # the run's report beside
            PROMPTS.mkdir(parents=True, exist_ok=True)
            (PROMPTS / f"{case.id}.report.json").write_text(json.dumps(outcome.report, indent=1))
        res.fixed = run.status == "fixed"
        if run.model is not None and run.model.gateway is not None:
            res.tool_calls = run.model.gateway.stats.tool_calls
    except Exception as exc:  # one case's crash is recorded, the rest still run
        res.status = f"error: {type(exc).__name__}: {exc}"[:200]
    res.seconds = round(time.monotonic() - t0, 1)
    proposals = [r for r in server.requests if "patch proposer" in json.dumps(r.body)]
    res.model_calls = len(server.requests)
    for r in server.requests:
        u = r.usage
        read = u.get("cache_read_input_tokens", 0)
        res.input_tokens += (
            u.get("input_tokens", 0) + read + u.get("cache_creation_input_tokens", 0)
        )
        res.cache_read_tokens += read
    if proposals:
        text = prompt_text(proposals[0].body)
        res.code_lines, res.assertion_message = oracle.holds(text)
        res.changed_lines = strict.holds(text)[0]
        res.hunks_first = [
            Oracle([Hunk(h.path, h.old, h.new, h.removed, h.added)], None).holds(text)[0]
            for h in hunks
        ]
        res.some_changed_line = any(res.hunks_first)
        if PROMPTS is not None:
            PROMPTS.mkdir(parents=True, exist_ok=True)
            (PROMPTS / f"{case.id}.txt").write_text(text)
        res.changed_lines_any = any(strict.holds(full_text(r.body))[0] for r in proposals)
        res.code_lines_any = any(oracle.holds(full_text(r.body))[0] for r in proposals)
        res.hang = message is None
        res.test_source = _has_tests(text, failing, case.proj)
        res.first_prompt_chars = len(text)
    return res


# -- the summary -----------------------------------------------------------------------------------


def _med_p95(xs: list[float]) -> str:
    xs = sorted(xs) or [0]
    p95 = xs[max(0, -(-95 * len(xs) // 100) - 1)]
    return f"median {statistics.median(xs):.0f}, p95 {p95:.0f}"


def summary(track: str, results: list[Result], note: str) -> str:
    asked = [r for r in results if r.first_prompt_chars]
    msg = [r for r in asked if not r.hang]
    mark = lambda ok: "met" if ok else "**missed**"  # noqa: E731
    first = [r.first_prompt_chars / 4 for r in asked]
    share = sum(r.cache_read_tokens for r in results) / max(1, sum(r.input_tokens for r in results))
    code_first = [r.code_lines for r in asked]
    code_any = [r.code_lines_any for r in asked]
    target_first = 0.8 if track.startswith("real") else None
    rows = [
        f"## Context oracle, track `{track}` ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{len(results)} cases, anthropic SDK -> local oracle server counting tokens and cache)",
        "",
        note,
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| first prompt holds the lines of code the fix changes (the oracle's measure) | "
        f"{_pct(code_first)} | "
        + (
            f">= 80% {mark(sum(code_first) >= target_first * len(code_first))}"
            if target_first
            else "-"
        )
        + " |",
        f"| first prompt holds every hunk of the reference fix (strict) | "
        f"{_pct([r.changed_lines for r in asked])} | - |",
        f"| first prompt holds the lines of at least one hunk of the fix | "
        f"{_pct([r.some_changed_line for r in asked])} | - |",
        f"| ... lines of code after retrieval (read_file calls the oracle asked for) | "
        f"{_pct(code_any)} | >= 95% {mark(sum(code_any) >= 0.95 * len(code_any))} |",
        f"| ... every hunk after retrieval (strict) | "
        f"{_pct([r.changed_lines_any for r in asked])} | - |",
        f"| first prompt holds the failing assertion message (hangs left out: {len(asked) - len(msg)}) "
        f"| {_pct([r.assertion_message for r in msg])} | 100% {mark(all(r.assertion_message for r in msg))} |",
        f"| first prompt holds the failing tests' source | {_pct([r.test_source for r in asked])} "
        f"| 100% {mark(all(r.test_source for r in asked))} |",
        f"| fixed with the oracle | {_pct([r.fixed for r in results])} | - |",
        f"| first prompt input tokens (chars/4) | {_med_p95(first)} | median <= 8k "
        f"{mark(statistics.median(first or [0]) <= 8000)} |",
        f"| model calls per case | {_med_p95([r.model_calls for r in results])} | - |",
        f"| tool calls per case | {_med_p95([r.tool_calls for r in results])} | - |",
        f"| input tokens per case (all requests) | {_med_p95([r.input_tokens for r in results])} | - |",
        f"| prompt-cache hit share (cache reads / input tokens) | {100 * share:.0f}% | - |",
        "",
        "Cases missing something: "
        + (
            ", ".join(
                f"{r.case} ("
                + " ".join(
                    w
                    for w, ok in (
                        ("code", r.code_lines),
                        ("code-after-retrieval", r.code_lines_any),
                        ("msg", r.assertion_message or r.hang),
                        ("tests", r.test_source),
                        ("unfixed " + r.status, r.fixed),
                    )
                    if not ok
                )
                + ")"
                for r in results
                if not (
                    r.code_lines and (r.assertion_message or r.hang) and r.test_source and r.fixed
                )
            )
            or "none"
        ),
        "",
    ]
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--track", choices=sorted(TRACKS), required=True)
    ap.add_argument("--limit", type=int, default=0, help="a seeded sample of N cases")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--append", default=None)
    ap.add_argument("--work", default=None, help="bench/real/build.py's --work (read only)")
    ap.add_argument(
        "--prompts-dir", default=None, help="write each case's first prompt and run report here"
    )
    args = ap.parse_args()
    global WORK, PROMPTS
    if args.work:
        WORK = Path(args.work).resolve()
    if args.prompts_dir:
        PROMPTS = Path(args.prompts_dir)
    server = LLMServer().start()
    server.count_tokens = True
    os.environ["ANTHROPIC_API_KEY"] = server.key
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory(prefix="treefix-tracks-") as d:
            cases = TRACKS[args.track](Path(d))
            total = len(cases)
            if args.only:
                cases = [c for c in cases if c.id in args.only.split(",")]
            if args.limit and len(cases) > args.limit:
                cases = sorted(
                    random.Random(args.seed).sample(cases, args.limit), key=lambda c: c.id
                )
            for c in cases:
                r = run_case(c, server)
                results.append(r)
                print(json.dumps(asdict(r)), file=sys.stderr, flush=True)
                if args.json_out:
                    Path(args.json_out).write_text(
                        json.dumps([asdict(x) for x in results], indent=1)
                    )
    finally:
        server.stop()
    note = f"{len(results)} of the track's {total} cases" + (
        f" (seeded sample, seed {args.seed})" if args.limit and total > args.limit else ""
    )
    text = summary(args.track, results, note)
    print(text)
    if args.append:
        with open(args.append, "a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
