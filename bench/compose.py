"""Compose bench/RESULTS.md from the tracks bench/all.sh ran (JSON files in bench/results/)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def load(name: str) -> dict | None:
    p = RESULTS / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else None


def help_time() -> float:
    exe = Path(sys.executable).parent / "treefix"
    times = []
    for _ in range(7):
        t0 = time.monotonic()
        subprocess.run([str(exe), "--help"], capture_output=True, check=True)
        times.append(time.monotonic() - t0)
    return statistics.median(times)


def fixes(track: dict) -> dict[str, list]:
    return {
        c["case_id"]: [(e.get("path"), e.get("line"), e.get("description")) for e in c["edits"]]
        for c in track["cases"]
        if c["outcome"] == "fixed"
    }


def rate(cases: list[dict]) -> tuple[float | None, int]:
    """Evaluations per second of search over these cases (total evaluations / total search time)."""
    used = [c for c in cases if c.get("evals_per_s")]
    evals = sum(c["evaluations"] for c in used)
    secs = sum(c["evaluations"] / c["evals_per_s"] for c in used)
    return (evals / secs if secs else None), len(used)


def fmt(v, spec=".2f") -> str:
    return "-" if v is None else format(v, spec)


def main() -> int:
    local, docker, w1 = load("local"), load("docker"), load("docker-w1")
    out = [
        "# treefix benchmark results",
        "",
        "Produced by `bench/all.sh` (tracks below; each track's own table is in `bench/results/`).",
        "",
    ]
    out += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    if local:
        t = local["totals"]
        cases = local["cases"]
        walls = [c["wall"] for c in cases]
        slow = [c["case_id"] for c in cases if c["outcome"] == "fixed" and c["wall"] > 60]
        out.append(
            f"| fixes >= 85% of the corpus (local, offline proposer) | {t['fixed']}/{t['cases']} = {t['fixed_pct']:.0f}% | {'yes' if t['fixed_pct'] >= 85 else 'no'} |"
        )
        out.append(
            f"| each fix within 60 s | max wall {max(walls):.1f} s{'; over: ' + ', '.join(slow) if slow else ''} | {'yes' if not slow else 'no'} |"
        )
        so = t.get("serial_overhead_median")
        out.append(
            f"| sandbox overhead ratio <= 1.3 (sandboxed / bare, same tests, interleaved) | {fmt(so)}x (in-search, 2 workers contending: {fmt(t.get('overhead_median'))}x) | {'yes' if so is not None and so <= 1.3 else 'no'} |"
        )
        rss = max((c["peak_rss_mb"] or 0) for c in cases)
        out.append(
            f"| peak memory of treefix < 300 MB | {rss:.0f} MB | {'yes' if rss < 300 else 'no'} |"
        )
    h = help_time()
    out.append(
        f"| `treefix --help` < 0.3 s | {h:.3f} s (median of 7) | {'yes' if h < 0.3 else 'no'} |"
    )
    if docker:
        d = docker["totals"]
        delta = d.get("docker_delta_median")
        out.append(
            f"| Docker: sandboxed run <= 0.3 s slower than a bare exec in the same warm container | {fmt(delta, '+.3f')} s median | {'yes' if delta is not None and delta <= 0.3 else 'no'} |"
        )
        if local:
            lf, df = fixes(local), fixes(docker)
            same = sum(1 for k in lf if df.get(k) == lf[k])
            out.append(
                f"| Docker fixes the corpus as local, same fixes | docker {d['fixed']}/{d['cases']}, local {local['totals']['fixed']}; identical fix on {same}/{len(lf)} local fixes | {'yes' if d['fixed'] >= local['totals']['fixed'] and same == len(lf) else 'no'} |"
            )
    w2 = load("docker-w2") or docker  # the scaling pair runs back to back, without overhead probes
    if w2 and w1:
        # compare on the cases both tracks ran (the 1-worker track may be a subset)
        ids = {c["case_id"] for c in w1["cases"]}
        r2, n2 = rate([c for c in w2["cases"] if c["case_id"] in ids])
        r1, _ = rate(w1["cases"])
        if r1 and r2:
            out.append(
                f"| 2 workers >= 1.6x the evaluations/s of 1 worker (Docker, {n2} cases, run back to back) | {r2:.2f} vs {r1:.2f} evals/s = {r2 / r1:.2f}x | {'yes' if r2 / r1 >= 1.6 else 'no'} |"
            )
    wf = load("workflow")
    if wf:
        over = wf["try_repo_overhead_s"]
        out.append(
            f"| `pre-commit try-repo` round trip for treefix-check < 10 s beyond the test run (hook venv built from scratch) | {wf['try_repo_s']:.1f} s vs {wf['bare_test_s']:.2f} s bare tests = {over:.1f} s over (median of {wf['runs']}) | {'yes' if over < 10 else 'no'} |"
        )
    out.append("")
    for name, title in (
        ("workflow", "Workflow (pre-commit)"),
        ("local", "Local sandbox, 2 workers"),
        ("docker", "Docker sandbox, 2 workers"),
        ("docker-w2", "Docker sandbox, 2 workers (scaling pair)"),
        ("docker-w1", "Docker sandbox, 1 worker (scaling pair)"),
    ):
        md = RESULTS / f"{name}.md"
        if md.exists():
            body = md.read_text().split("\n", 1)[1]
            out += [f"## {title}", "", body.replace("\n## ", "\n### "), ""]
    local_model = RESULTS / "local-model.md"
    if local_model.exists():  # written by bench/local_model.py
        out += [local_model.read_text().replace("\n## ", "\n### "), ""]
    model = RESULTS.parent / "RESULTS-model.md"
    if model.exists():  # written by bench/model_track.py
        out += [model.read_text().replace("\n## ", "\n### ").replace("## Model track", "## Model track", 1), ""]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
