#!/usr/bin/env python3
"""Context oracle: how much of what a fix needs is in the model's FIRST prompt.

    python bench/context_oracle.py [--cases a,b] [--json-out F] [--append bench/RESULTS-model.md]

The local stand-in API server (tests/models/llm_server.py) answers as an oracle for the 44-case
corpus: it knows each case's reference fix (bench/fixes/<id>.patch) and the failing assertion
message (read beforehand from a plain pytest run of the buggy case), and answers with the fix
only when the prompt holds every line the fix changes AND that assertion message; otherwise it
answers a plausible wrong patch (the first changed line with a comment added: it compiles and
fails). `treefix repair --proposer model --provider anthropic` runs each case through the real
SDK over HTTP. Per case it records, from the first request on the wire: whether it holds the
changed lines, the assertion message, the failing tests' source; its size in tokens; and
whether the run found a validated fix.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # tests.models.llm_server

from tests.models.llm_server import LLMServer  # noqa: E402


@dataclass
class Hunk:
    path: str
    old: list[str]  # context + removed lines
    new: list[str]  # context + added lines
    removed: list[str]
    added: list[str]
    start: int = 0  # 1-based line of `old` in the buggy file, from the @@ header (0: unknown)


def parse_patch(text: str) -> list[Hunk]:
    hunks: list[Hunk] = []
    path = ""
    cur: Hunk | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            path = line[4:].split("\t")[0].removeprefix("b/")
        elif line.startswith("--- "):
            continue
        elif line.startswith("@@"):
            m = re.match(r"@@ -(\d+)", line)
            cur = Hunk(path, [], [], [], [], int(m.group(1)) if m else 0)
            hunks.append(cur)
        elif cur is not None and line[:1] in (" ", "-", "+", ""):
            body = line[1:]
            if line.startswith("-"):
                cur.old.append(body)
                cur.removed.append(body)
            elif line.startswith("+"):
                cur.new.append(body)
                cur.added.append(body)
            else:
                cur.old.append(body)
                cur.new.append(body)
    return hunks


def changed_lines(hunks: list[Hunk]) -> list[str]:
    """The original lines a fix changes; for a pure insertion, the line it follows."""
    out = []
    for h in hunks:
        if h.removed:
            out += [ln.strip() for ln in h.removed if ln.strip()]
        else:
            ctx = [ln for ln in h.old if ln.strip()]
            out += [ctx[len(ctx) // 2].strip()] if ctx else []
    return out


def blocks(hunks: list[Hunk]) -> str:
    return "".join(
        f"<<<<<<< SEARCH {h.path}\n"
        + "\n".join(h.old)
        + "\n=======\n"
        + "\n".join(h.new)
        + "\n>>>>>>> REPLACE\n"
        for h in hunks
    )


def wrong_patch(hunks: list[Hunk]) -> str:
    h = hunks[0]
    line = (h.removed or [ln for ln in h.old if ln.strip()])[0]
    return (
        f"EXPLANATION: A guess without the failing details.\n\n<<<<<<< SEARCH {h.path}\n{line}\n"
        f"=======\n{line}  # checked\n>>>>>>> REPLACE\n"
    )


def prompt_text(body: dict) -> str:
    parts = []
    system = body.get("system")
    if isinstance(system, list):
        parts += [b.get("text", "") for b in system]
    elif isinstance(system, str):
        parts.append(system)
    for m in body.get("messages", []):
        c = m.get("content")
        parts += [c] if isinstance(c, str) else [b.get("text", "") for b in c]
    return "\n".join(parts)


def baseline_failure(
    case: Path, timeout: float = 20, args: tuple[str, ...] = (), python: str = sys.executable
) -> tuple[str | None, list[str]]:
    """The first assertion or exception line and the failing test ids of a plain pytest run
    (None for the message when the run hangs: plain pytest has no message for a hang); args:
    what to run (default: the whole suite)."""
    extra = [a for a in args if a not in ("-q", "-p", "no:cacheprovider")]
    try:
        out = subprocess.run(
            [python, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "--tb=short"] + extra,
            cwd=case,
            capture_output=True,
            text=True,
            timeout=timeout,
        ).stdout
    except subprocess.TimeoutExpired:
        return None, []
    lines = [ln[1:].strip() for ln in out.splitlines() if ln.startswith("E ")]
    # "assert ..." or "SomeError: ..." (a SyntaxError's first E lines quote the file path)
    messages = [ln for ln in lines if ln.startswith("assert ") or _EXC.match(ln)] or lines
    failing = re.findall(r"(?m)^(?:FAILED|ERROR) (\S+)", out)
    return (messages[0] if messages else ""), failing


_ADDR = re.compile(r"0x[0-9a-fA-F]{6,}")
# absolute paths differ between the oracle's plain run and treefix's sandbox, and pytest cuts a
# long string differently ('/tmp/treefix...en_project.py'): a quoted absolute path is compared
# as a placeholder
_PATH = re.compile(r"""(['"])/[^'"\n]*\1""")


_MOCK_ID = re.compile(r"\bid='\d+'")  # unittest.mock's reprs: id='140472161400592'


def _normal(text: str) -> str:
    return _MOCK_ID.sub("id='?'", _PATH.sub(r"\1<path>\1", _ADDR.sub("0x?", text)))


_EXC = re.compile(r"^[\w.]+(Error|Exception|Exit)\b")


class Oracle:
    """`message` None: a hang, where only the changed lines are asked for."""

    def __init__(self, hunks: list[Hunk], message: str | None):
        self.hunks, self.message = hunks, message
        self.changed = changed_lines(hunks)

    def holds(self, text: str) -> tuple[bool, bool]:
        lines = {ln.strip() for ln in re.split(r"\n", text)}
        # numbered code ("  12 | code") counts: the line text after the bar
        lines |= {ln.split("| ", 1)[1].strip() for ln in text.splitlines() if "| " in ln}
        # memory addresses differ between runs ("<... object at 0x7f..>"): compare without them
        msg, seen = _normal(self.message or ""), _normal(text)
        message = self.message is None or (bool(msg) and msg in seen)
        return all(c in lines for c in self.changed), message

    def __call__(self, body: dict) -> str:
        code, message = self.holds(prompt_text(body))
        if code and message:
            return "EXPLANATION: The reference fix.\n\n" + blocks(self.hunks)
        return wrong_patch(self.hunks)


@dataclass
class CaseResult:
    case: str
    changed_lines: bool = False
    assertion_message: bool = False
    test_source: bool = False
    first_prompt_chars: int = 0
    fixed: bool = False
    model_calls: int = 0
    status: str = ""
    seconds: float = 0.0
    hang: bool = False  # plain pytest hangs: no assertion message to look for


def _has_tests(text: str, failing: list[str], proj: Path) -> bool:
    """Every failing test's def line is in the prompt; for a module that failed to collect, its
    test functions are (a hang's ids come from treefix's report, read from the prompt)."""
    if not failing:  # a hang: the ids treefix listed
        failing = re.findall(r"(?m)^- (\S+::\S+?)(?::| |$)", text)
    names = []
    for f in failing[:10]:
        if "::" in f:
            names.append(f.split("::")[-1].split("[")[0])
        else:
            src = (proj / f).read_text() if (proj / f).is_file() else ""
            names += re.findall(r"(?m)^def (test_\w+)\(", src)[:3]
    return bool(names) and all(f"def {n}(" in text for n in names)


def run_case(case_id: str, tmp: Path, server: LLMServer) -> CaseResult:
    from treefix.pipeline.main import run as run_pipeline
    from treefix.pipeline.options import ModelOptions, RunOptions

    src = BENCH / "corpus" / case_id
    proj = tmp / case_id
    shutil.copytree(src, proj)
    hunks = parse_patch((BENCH / "fixes" / f"{case_id}.patch").read_text())
    message, failing = baseline_failure(proj)
    oracle = Oracle(hunks, message)
    server.default = oracle
    server.requests.clear()
    values = {
        "sandbox": "local",
        "proposer": "model",
        "provider": "anthropic",
        "base_url": server.url,
        "samples": 1,
        "workers": 1,
        "time_limit": 90.0,
        "max_llm_calls": 3,
        "max_evals": 12,
        "fixes": 1,  # the oracle has one reference fix: stop there (a model's default K is 3)
    }
    if "value" in {f.name for f in dataclasses.fields(ModelOptions)}:
        values["value"] = "off"  # proposal calls only (absent before --value existed)
    res = CaseResult(case_id)
    t0 = time.monotonic()
    try:
        run = run_pipeline(RunOptions.build(str(proj), values)).record
        res.status = run.status
        res.fixed = run.status == "fixed"
    except Exception as exc:  # one case's crash is recorded, the rest still run
        res.status = f"error: {type(exc).__name__}: {exc}"[:200]
    res.seconds = round(time.monotonic() - t0, 1)
    proposals = [r for r in server.requests if "patch proposer" in json.dumps(r.body)]
    res.model_calls = len(server.requests)
    if proposals:
        text = prompt_text(proposals[0].body)
        res.changed_lines, res.assertion_message = oracle.holds(text)
        res.hang = message is None
        res.test_source = _has_tests(text, failing, proj)
        res.first_prompt_chars = len(text)
    return res


def _pct(xs: list[bool]) -> str:
    return f"{sum(xs)}/{len(xs)} ({100 * sum(xs) / max(1, len(xs)):.0f}%)"


def summary(results: list[CaseResult]) -> str:
    asked = [r for r in results if r.first_prompt_chars]
    msg = [r for r in asked if not r.hang]
    hangs = [r for r in asked if r.hang]
    chars = sorted(r.first_prompt_chars for r in asked) or [0]
    med, p95 = statistics.median(chars), chars[max(0, -(-95 * len(chars) // 100) - 1)]
    tok = lambda c: f"{c / 4:.0f}"  # noqa: E731
    mark = lambda ok: "met" if ok else "**missed**"  # noqa: E731
    rows = [
        f"## Context oracle ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {len(results)} cases, "
        "anthropic SDK -> local oracle server)",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| first prompt holds the lines the fix changes | {_pct([r.changed_lines for r in asked])} | - |",
        f"| first prompt holds the failing assertion message (cases that hang left out: {len(hangs)}) | {_pct([r.assertion_message for r in msg])} | 100% {mark(all(r.assertion_message for r in msg))} |",
        f"| first prompt holds the failing tests' source | {_pct([r.test_source for r in asked])} | 100% {mark(all(r.test_source for r in asked))} |",
        f"| fixed with the oracle | {_pct([r.fixed for r in results])} | - |",
        f"| first prompt input tokens (chars/4; chars/3 in brackets) | median {tok(med)} ({med / 3:.0f}), p95 {tok(p95)} ({p95 / 3:.0f}) | median <= 8k {mark(med / 4 <= 8000)} |",
        "",
        "Cases missing something: "
        + (
            ", ".join(
                f"{r.case} ({'code ' if not r.changed_lines else ''}{'msg ' if not r.assertion_message else ''}"
                f"{'tests ' if not r.test_source else ''}{'' if r.fixed else 'unfixed ' + r.status})".replace(
                    " )", ")"
                )
                for r in results
                if not (r.changed_lines and r.assertion_message and r.test_source and r.fixed)
            )
            or "none"
        ),
        "",
    ]
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--append", default=None)
    args = ap.parse_args()
    cases = list(tomllib.loads((BENCH / "cases.toml").read_text())["cases"])
    if args.cases:
        cases = [c for c in cases if c in args.cases.split(",")]
    server = LLMServer().start()
    os.environ["ANTHROPIC_API_KEY"] = server.key
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="treefix-oracle-") as d:
            for c in cases:
                r = run_case(c, Path(d), server)
                results.append(r)
                print(json.dumps(asdict(r)), file=sys.stderr, flush=True)
                if args.json_out:
                    Path(args.json_out).write_text(
                        json.dumps([asdict(x) for x in results], indent=1)
                    )
    finally:
        server.stop()
    text = summary(results)
    print(text)
    if args.append:
        with open(args.append, "a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
