#!/usr/bin/env python3
"""Local-model track: the corpus with `--proposer auto` on a small model running on this machine
(llama.cpp in-process, no network), next to the mutation-only proposer under the same settings.

    python bench/local_model.py [--model FILE.gguf] [--cases a,b] [--max-llm-calls 4]
                                [--llm-max-tokens 256] [--compose-only]

Runs `bench/run.py` twice (both with `--no-overhead`), back to back:

- mutation: `--proposer mutation`
- auto + local model: `--proposer auto --model-path FILE --max-llm-calls N --llm-max-tokens T`

and writes bench/results/local-model-{mutation,auto}.json plus the section
bench/results/local-model.md (compose.py puts it into RESULTS.md): fixes per track, which
proposer produced each accepted fix, model calls, output tokens per second, median latency per
call, and the share of model responses rejected as malformed (no block, a block that does not
match the file, a block left open, a patch that does not compile).

The model defaults to SmolLM2-135M-Instruct (scripts/fetch-local-model.py puts it in
~/.cache/treefix/models). A 135M model is expected to fix almost nothing itself: the track
measures what a local model costs the search and how its answers are handled.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DEFAULT_MODEL = Path(
    os.environ.get("TREEFIX_MODEL_DIR") or Path.home() / ".cache" / "treefix" / "models"
) / ("SmolLM2-135M-Instruct.Q4_1.gguf")


def run_track(name: str, extra: list[str], args: argparse.Namespace) -> None:
    argv = [
        sys.executable,
        str(BENCH / "run.py"),
        "--no-overhead",
        "--time-limit",
        str(args.time_limit),
        "--out",
        str(RESULTS / f"local-model-{name}.md"),
        "--json-out",
        str(RESULTS / f"local-model-{name}.json"),
        "--extra-args",
        shlex.join(extra),
    ]
    if args.cases:
        argv += ["--cases", args.cases]
    print("$", shlex.join(argv), flush=True)
    subprocess.run(argv, check=False)


def proposer_of(case: dict) -> str:
    """Who produced the accepted fix: model, mutation, or both (a multi-edit fix)."""
    ops = {"model" if e.get("operator") == "model" else "mutation" for e in case["edits"]}
    return "+".join(sorted(ops)) if ops else "-"


def kind_of(reason: str) -> str:
    """A rejection reason without its specifics (file names, counts), for the tally."""
    reason = re.sub(r"block \d+: ", "", reason)
    reason = re.sub(r"'[^']*'|\S+\.py", "FILE", reason)
    return re.sub(r"\d+", "N", reason)


def compose(args: argparse.Namespace) -> str:
    mut = json.loads((RESULTS / "local-model-mutation.json").read_text())
    auto = json.loads((RESULTS / "local-model-auto.json").read_text())
    cases = auto["cases"]
    ids = {c["case_id"] for c in cases}  # compare on the cases both tracks ran
    mut_cases = [c for c in mut["cases"] if c["case_id"] in ids]
    by_id = {c["case_id"]: c for c in mut_cases}
    models = [c["model"] for c in cases if c.get("model")]
    calls = sum(m["calls"] for m in models)
    purposes: collections.Counter[str] = collections.Counter()
    for m in models:
        purposes.update(m.get("by_purpose", {}))
    split = ", ".join(f"{n} {p}" for p, n in purposes.most_common())
    out_tokens = sum(m["output_tokens"] for m in models)
    in_tokens = sum(m["input_tokens"] for m in models)
    seconds = sum(m["seconds"] for m in models)
    latencies = [x for m in models for x in m.get("call_latencies_s", [])]
    responses = sum(m.get("responses", 0) for m in models)
    rejected = sum(m.get("rejected_responses", 0) for m in models)
    candidates = sum(m.get("model_candidates", 0) for m in models)
    trimmed = sum(m.get("context_trimmed", 0) for m in models)
    cut = sum(m.get("truncated", 0) for m in models)
    who = collections.Counter(proposer_of(c) for c in cases if c["outcome"] == "fixed")
    reasons: collections.Counter[str] = collections.Counter()
    for m in models:
        for r in m.get("rejection_reasons", []):  # the last 5 of each run
            reasons[kind_of(r)] += 1

    def fixed(track: list[dict]) -> str:
        return f"{sum(c['outcome'] == 'fixed' for c in track)}/{len(track)}"

    def walls(track: list[dict]) -> str:
        w = [c["wall"] for c in track]
        return f"{statistics.median(w):.1f} / {max(w):.1f}"

    mut_fixed = sum(c["outcome"] == "fixed" for c in mut_cases)

    name = Path(args.model).name
    lines = [
        f"## Local model track ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} "
        f"cores, CPython {platform.python_version()})",
        "",
        f"`{name}` run in-process by llama.cpp (`--provider llamacpp`, no server, no network), "
        f"`--proposer auto` (model candidates first, mutants beside them), next to "
        f"`--proposer mutation` under the same settings, run back to back on "
        f"{'the whole corpus' if not args.cases else 'a subset: ' + args.cases} "
        f"({len(cases)} cases). Commands: `{auto['command']}` and `{mut['command']}`.",
        "",
        "| track | fixed | fixes by model / mutation / both | median / max wall s |",
        "|---|---|---|---|",
        f"| mutation only | {fixed(mut_cases)} | 0 / {mut_fixed} / 0 | {walls(mut_cases)} |",
        f"| auto + local model | {fixed(cases)} | {who.get('model', 0)} / "
        f"{who.get('mutation', 0)} / {who.get('model+mutation', 0)} | {walls(cases)} |",
        "",
        "| model figure | value |",
        "|---|---|",
        f"| model calls | {calls} ({calls / max(1, len(cases)):.1f} per case; {split}) |",
        f"| tokens in / out | {in_tokens} / {out_tokens} |",
        f"| output tokens per second (llama.cpp's counts / wall time of the calls) | "
        f"{out_tokens / seconds if seconds else 0:.1f} |",
        f"| latency per call: median / max | "
        f"{statistics.median(latencies) if latencies else 0:.2f} s / "
        f"{max(latencies) if latencies else 0:.2f} s |",
        f"| share of responses rejected as malformed | {rejected}/{responses} = "
        f"{100 * rejected / responses if responses else 0:.0f}% |",
        f"| model candidates run in the sandbox | {candidates} |",
        f"| answers cut at `--llm-max-tokens` / prompts trimmed to the window | {cut} / {trimmed} |",
        "",
        "Rejection reasons (the last five per case, by kind):",
        "",
        *[f"- {n} x {r}" for r, n in reasons.most_common(6)],
        "",
        "| case | mutation only | auto + model | fix by | model calls | rejected / responses "
        "| tok/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in cases:
        m = c.get("model") or {}
        base = by_id.get(c["case_id"])
        base_txt = f"{base['outcome']} {base['wall']:.1f}s" if base else "-"
        tps = m.get("output_tokens_per_s")
        lines.append(
            f"| {c['case_id']} | {base_txt} | {c['outcome']} {c['wall']:.1f}s | "
            f"{proposer_of(c) if c['outcome'] == 'fixed' else '-'} | {m.get('calls', '-')} | "
            f"{m.get('rejected_responses', '-')} / {m.get('responses', '-')} | "
            f"{tps if tps is not None else '-'} |"
        )
    lost = [
        c["case_id"]
        for c in cases
        if c["outcome"] != "fixed" and by_id.get(c["case_id"], {}).get("outcome") == "fixed"
    ]
    lines += [
        "",
        f"Cases fixed by mutation only but not with the model beside it: "
        f"{', '.join(lost) if lost else 'none'}.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--cases", default="")
    ap.add_argument("--time-limit", type=int, default=60)
    ap.add_argument("--max-llm-calls", type=int, default=4)
    ap.add_argument("--llm-max-tokens", type=int, default=256)
    ap.add_argument("--compose-only", action="store_true")
    args = ap.parse_args()
    if not Path(args.model).is_file():
        print(f"no model at {args.model}: run scripts/fetch-local-model.py", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    if not args.compose_only:
        run_track("mutation", ["--proposer", "mutation"], args)
        model_args = ["--proposer", "auto", "--model-path", args.model]
        model_args += ["--max-llm-calls", str(args.max_llm_calls)]
        model_args += ["--llm-max-tokens", str(args.llm_max_tokens)]
        run_track("auto", model_args, args)
    text = compose(args)
    (RESULTS / "local-model.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
