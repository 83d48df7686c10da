#!/usr/bin/env python3
"""Benchmark `treefix repair` on the corpus in bench/corpus and write a Markdown report.

    python bench/run.py [--cases a,b] [--time-limit 60] [--max-evals 600] [--sandbox local]
                        [--out bench/RESULTS.md]

Each case is copied to a plain temporary folder (no git) and repaired there with `--json --seed 0`.
Per case it records: fixed or not, wall time, evaluations to the first fix and in total, treefix's
peak RSS, the fix's edits, whether the fix equals the reference fix (bench/fixes/<id>.patch) up to
formatting, and the sandbox overhead: the median sandboxed candidate run reported by treefix over
the median of 5 bare runs of the same focused pytest command.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from treefix.report.reader import read_report
from treefix.sandbox import process as sandbox_process

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CORPUS = BENCH / "corpus"
FIXES = BENCH / "fixes"
CASES_TOML = BENCH / "cases.toml"

EXIT_MEANING = {
    0: "fixed or nothing to fix",
    1: "no fix within budget",
    2: "usage error",
    3: "environment/sandbox error",
    130: "interrupted",
}
BARE_RUNS = 5
# Junk that pytest or treefix may leave in a copy; never part of a comparison.
IGNORED_DIRS = {"__pycache__", ".pytest_cache", ".treefix", ".git"}


@dataclass
class CaseResult:
    case_id: str
    kind: str = ""
    edits_expected: int = 1
    hangs: bool = False
    outcome: str = "error"  # fixed | not fixed | error | timeout
    status: str = ""  # report["status"] as treefix wrote it
    exit_code: int | None = None
    wall: float = 0.0
    evals_to_first_fix: int | None = None
    evaluations: int | None = None
    peak_rss_mb: float | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    matches_reference: bool | None = None
    candidate_run_median: float | None = None
    bare_run_median: float | None = None
    overhead_ratio: float | None = None
    serial_ratio: float | None = None
    docker_delta: float | None = None
    evals_per_s: float | None = None
    model: dict[str, Any] | None = None  # the report's model section, when a model took part
    note: str = ""

    @property
    def fixed(self) -> bool:
        return self.outcome == "fixed"


# --------------------------------------------------------------------------- corpus


def load_cases() -> dict[str, dict[str, Any]]:
    data = tomllib.loads(CASES_TOML.read_text())
    cases: dict[str, dict[str, Any]] = data.get("cases", {})
    return cases


def copy_project(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*IGNORED_DIRS))
    return dest


def apply_patch(project: Path, patch_text: str) -> bool:
    """Apply a unified diff (a/ b/ prefixes) inside `project`; False when it does not apply."""
    patch_file = project.parent / f".{project.name}.patch"
    patch_file.write_text(patch_text)
    # Stop git from finding an enclosing repository: it would resolve paths from that root.
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(project.parent))
    attempts = []
    if shutil.which("git"):
        attempts.append(["git", "apply", "--whitespace=nowarn", str(patch_file)])
    if shutil.which("patch"):
        attempts.append(["patch", "-p1", "--batch", "--forward", "--quiet", "-i", str(patch_file)])
    try:
        for argv in attempts:
            proc = subprocess.run(argv, cwd=project, env=env, capture_output=True, timeout=60)
            if proc.returncode == 0:
                return True
        return False
    finally:
        patch_file.unlink(missing_ok=True)


def python_sources(project: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in sorted(project.rglob("*.py")):
        rel = p.relative_to(project)
        if IGNORED_DIRS.intersection(rel.parts):
            continue
        out[rel.as_posix()] = p.read_text(errors="replace")
    return out


def normalized(source: str) -> str:
    # Formatting and comments do not matter; a file that does not parse compares as text.
    try:
        return ast.dump(ast.parse(source))
    except SyntaxError:
        return source


def same_program(a: Path, b: Path) -> bool:
    sa, sb = python_sources(a), python_sources(b)
    return sa.keys() == sb.keys() and all(normalized(sa[k]) == normalized(sb[k]) for k in sa)


def matches_reference(
    case_dir: Path, ref_patch: Path, fix_patch: str, work: Path
) -> tuple[bool | None, str]:
    """Does treefix's patch give the same program as the reference fix? None: cannot tell."""
    if not fix_patch.strip() or not ref_patch.exists():
        return None, ""
    ref = copy_project(case_dir, work / "reference")
    got = copy_project(case_dir, work / "treefix-fix")
    if not apply_patch(ref, ref_patch.read_text()):
        return None, "reference patch does not apply"
    if not apply_patch(got, fix_patch):
        return None, "treefix's patch does not apply to a fresh copy"
    return same_program(ref, got), ""


# --------------------------------------------------------------------------- processes


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


@dataclass
class ProcOutcome:
    returncode: int | None  # None when the guard timeout killed it
    stdout: str
    stderr: str
    wall: float
    timed_out: bool


REPORT_LIMIT = 64 << 20  # output kept per stream: a report with a long trajectory stays whole


def run_process(argv: list[str], cwd: Path, timeout: float) -> ProcOutcome:
    """Run argv in its own session so a timeout or Ctrl-C also ends its children (sandboxes):
    treefix's own process-group runner, the one its local sandbox uses."""
    res = sandbox_process.run_process(
        argv, cwd=str(cwd), env=dict(os.environ), timeout=timeout, output_limit=REPORT_LIMIT
    )
    code = None if res.timed_out else res.returncode
    return ProcOutcome(code, res.stdout, res.stderr, res.duration, res.timed_out)


def bare_median(argv: list[str], cwd: Path, timeout: float) -> tuple[float | None, str]:
    """Median wall time of BARE_RUNS unsandboxed runs; None (with a reason) if one times out."""
    times: list[float] = []
    for _ in range(BARE_RUNS):
        try:
            res = run_process(argv, cwd, timeout)
        except OSError as exc:
            return None, f"bare run failed to start: {exc}"
        if res.timed_out:
            return None, f"bare run timed out after {timeout:.0f}s"
        times.append(res.wall)
    return statistics.median(times), ""


# --------------------------------------------------------------------------- one case


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def run_case(case_id: str, meta: dict[str, Any], args: argparse.Namespace) -> CaseResult:
    result = CaseResult(
        case_id,
        kind=str(meta.get("kind", "")),
        edits_expected=int(meta.get("edits", 1)),
        hangs=bool(meta.get("hangs", False)),
    )
    case_dir = CORPUS / case_id
    with tempfile.TemporaryDirectory(prefix=f"treefix-bench-{case_id}-") as tmp:
        work = Path(tmp)
        project = copy_project(case_dir, work / case_id)
        argv = [
            *args.treefix_cmd,
            "repair",
            str(project),
            "--json",
            "--sandbox",
            args.sandbox,
            "--time-limit",
            str(args.time_limit),
            "--max-evals",
            str(args.max_evals),
            "--seed",
            "0",
            *args.extra_args,
        ]
        # treefix enforces --time-limit itself; this only keeps a wedged run from stalling the bench.
        guard = args.time_limit * 2 + 60
        proc = run_process(argv, work, guard)
        result.wall = proc.wall
        result.exit_code = proc.returncode
        if proc.timed_out:
            result.outcome = "timeout"
            result.note = f"killed after {guard:.0f}s; stderr: {last_line(proc.stderr)}"
            return result
        report = read_report(proc.stdout)
        if report is None:
            result.note = last_line(proc.stderr) or f"no JSON report (exit {proc.returncode})"
            return result
        fill_from_report(result, report)
        if report.get("status") == "error" or result.status == "":
            result.outcome = "error"
            result.note = str(report.get("message") or last_line(proc.stderr))
            return result
        if result.fixed:
            fix_patch = _get(report, "fix", "patch")
            match, why = matches_reference(
                case_dir,
                FIXES / f"{case_id}.patch",
                fix_patch if isinstance(fix_patch, str) else "",
                work,
            )
            result.matches_reference = match
            result.note = why
        if args.overhead:
            measure_overhead(result, report, case_dir, work)
    return result


def fill_from_report(result: CaseResult, report: dict[str, Any]) -> None:
    status = report.get("status")
    result.status = status if isinstance(status, str) else ""
    result.outcome = "fixed" if status == "fixed" else "not fixed"
    result.evals_to_first_fix = _int(_get(report, "search", "evals_to_first_fix"))
    result.evaluations = _int(_get(report, "search", "evaluations"))
    result.peak_rss_mb = _float(report.get("peak_rss_mb"))
    elapsed = _float(_get(report, "search", "elapsed"))
    if elapsed and result.evaluations:
        result.evals_per_s = result.evaluations / elapsed
    if isinstance(report.get("model"), dict):
        result.model = report["model"]
    edits = _get(report, "fix", "edits")
    if isinstance(edits, list):
        result.edits = [e for e in edits if isinstance(e, dict)]
    if result.outcome != "fixed" and isinstance(report.get("message"), str):
        result.note = report["message"]


def measure_overhead(
    result: CaseResult, report: dict[str, Any], case_dir: Path, work: Path
) -> None:
    cand = _float(_get(report, "timings", "candidate_run_median"))
    bare_argv = _get(report, "timings", "bare_argv")
    if not cand or not isinstance(bare_argv, list) or not bare_argv:
        return
    result.candidate_run_median = cand
    # A fresh buggy copy: treefix may have left its run folder (or an applied fix) in its copy.
    bare_dir = copy_project(case_dir, work / "bare")
    timeout = max(10.0, 10 * cand)
    median, why = bare_median([str(a) for a in bare_argv], bare_dir, timeout)
    if median is None:
        result.note = "; ".join(filter(None, [result.note, why]))
        return
    result.bare_run_median = median
    result.overhead_ratio = cand / median if median > 0 else None
    if _get(report, "sandbox", "kind") == "docker":
        result.docker_delta = docker_overhead(report, bare_dir, timeout)
    else:
        result.serial_ratio = serial_overhead(
            report, bare_dir, [str(a) for a in bare_argv], timeout
        )


def sandboxed(kind: str, project: Path):
    """One sandbox of `kind` over a snapshot of project, behind the executor the pipeline uses."""
    from treefix.executors.thread import ThreadExecutor
    from treefix.languages.python import PythonLanguage
    from treefix.pipeline.sandboxes import make_sandboxes
    from treefix.sandbox.pool import SandboxPool
    from treefix.workspace.snapshot import snapshot

    proj = snapshot(project)
    lang = PythonLanguage()
    image = None
    if kind == "docker":
        from treefix.sandbox.image import image_tag

        image = image_tag(proj.root)
    python = "python3" if kind == "docker" else None
    runner = lang.runner(lang.test_command(proj.root, None, python))
    return ThreadExecutor(SandboxPool(make_sandboxes(kind, proj, 1, "bench", image)), runner)


def boxed_run(executor, focus: list[str], timeout: float) -> float:
    from treefix.protocols import Evaluation

    return executor.run([Evaluation({}, focus, timeout, timeout)])[0].duration


def docker_overhead(report: dict[str, Any], project: Path, timeout: float) -> float | None:
    """Seconds a sandboxed candidate run costs over the same pytest command exec'd bare in the
    same warm container (medians of interleaved runs)."""
    focus = [*report.get("targets", []), *report.get("guards", [])]
    bare_cmd = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", *focus]
    env = {"PYTHONDONTWRITEBYTECODE": "1", "HOME": "/tmp"}
    boxed: list[float] = []
    bare: list[float] = []
    with sandboxed("docker", project) as executor:
        container = executor.pool.sandboxes[0].container
        for _ in range(BARE_RUNS):
            boxed.append(boxed_run(executor, focus, timeout))
            t0 = time.monotonic()
            container.exec_run(bare_cmd, user="1000:1000", workdir="/work/project", environment=env)
            bare.append(time.monotonic() - t0)
    return statistics.median(boxed) - statistics.median(bare)


def serial_overhead(
    report: dict[str, Any], project: Path, bare_argv: list[str], timeout: float
) -> float | None:
    """Sandboxed vs bare run of the same focused tests, one at a time and interleaved, so both
    see the same machine load (the in-search figure also carries the parallel workers' contention)."""
    focus = [*report.get("targets", []), *report.get("guards", [])]
    boxed: list[float] = []
    bare: list[float] = []
    with sandboxed("local", project) as executor:
        for _ in range(BARE_RUNS):
            boxed.append(boxed_run(executor, focus, timeout))
            res = run_process(bare_argv, project, timeout)
            if res.timed_out:
                return None
            bare.append(res.wall)
    return statistics.median(boxed) / statistics.median(bare)


# --------------------------------------------------------------------------- report


def fmt(value: float | int | None, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def edits_text(edits: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{e.get('operator', '?')} @ {e.get('path', '?')}:{e.get('line', '?')}" for e in edits
    )


def ref_text(match: bool | None) -> str:
    return {True: "yes", False: "no", None: "-"}[match]


COLUMNS = [
    "case",
    "kind",
    "edits",
    "result",
    "wall s",
    "evals to fix",
    "evals",
    "peak MB",
    "overhead x (search)",
    "overhead x (serial)",
    "docker +s",
    "evals/s",
    "= ref",
    "fix edits",
]


def row(r: CaseResult) -> list[str]:
    result = r.outcome if r.outcome != "not fixed" else f"not fixed ({r.status})"
    return [
        r.case_id,
        r.kind,
        str(r.edits_expected),
        result,
        f"{r.wall:.1f}",
        fmt(r.evals_to_first_fix),
        fmt(r.evaluations),
        fmt(r.peak_rss_mb, ".0f"),
        fmt(r.overhead_ratio, ".2f"),
        fmt(r.serial_ratio, ".2f"),
        fmt(r.docker_delta, "+.3f"),
        fmt(r.evals_per_s, ".2f"),
        ref_text(r.matches_reference),
        edits_text(r.edits),
    ]


def totals(results: list[CaseResult]) -> dict[str, Any]:
    fixed = [r for r in results if r.fixed]
    walls = [r.wall for r in results]
    to_fix = [r.evals_to_first_fix for r in fixed if r.evals_to_first_fix is not None]
    ratios = [r.overhead_ratio for r in results if r.overhead_ratio is not None]
    serial = [r.serial_ratio for r in results if r.serial_ratio is not None]
    deltas = [r.docker_delta for r in results if r.docker_delta is not None]
    evals = sum(r.evaluations or 0 for r in results if r.evals_per_s)
    search_s = sum((r.evaluations or 0) / r.evals_per_s for r in results if r.evals_per_s)
    rss = [r.peak_rss_mb for r in results if r.peak_rss_mb is not None]
    multi = [r for r in results if r.edits_expected > 1]
    return {
        "cases": len(results),
        "fixed": len(fixed),
        "fixed_pct": 100.0 * len(fixed) / len(results) if results else 0.0,
        "multi_edit_fixed": f"{sum(r.fixed for r in multi)}/{len(multi)}",
        "errors": sum(r.outcome in ("error", "timeout") for r in results),
        "matches_reference": sum(r.matches_reference is True for r in fixed),
        "wall_median": statistics.median(walls) if walls else None,
        "wall_max": max(walls) if walls else None,
        "evals_to_fix_median": statistics.median(to_fix) if to_fix else None,
        "overhead_median": statistics.median(ratios) if ratios else None,
        "serial_overhead_median": statistics.median(serial) if serial else None,
        "docker_delta_median": statistics.median(deltas) if deltas else None,
        "evals_per_s": evals / search_s if search_s else None,
        "peak_rss_max": max(rss) if rss else None,
    }


def totals_lines(t: dict[str, Any]) -> list[str]:
    return [
        f"fixed: {t['fixed']}/{t['cases']} ({t['fixed_pct']:.0f}%), "
        f"multi-edit fixed: {t['multi_edit_fixed']}, errors/timeouts: {t['errors']}, "
        f"fixes equal to the reference: {t['matches_reference']}",
        f"wall time: median {fmt(t['wall_median'], '.1f')} s, max {fmt(t['wall_max'], '.1f')} s",
        f"median evals to first fix: {fmt(t['evals_to_fix_median'], '.1f')}",
        f"median sandbox overhead (candidate run / bare run): {fmt(t['overhead_median'], '.2f')}x",
        f"median sandbox overhead, serial and interleaved (sandboxed / bare, same tests): {fmt(t['serial_overhead_median'], '.2f')}x",
        f"median Docker overhead (sandboxed run - bare exec in the same warm container): {fmt(t['docker_delta_median'], '+.3f')} s",
        f"evaluations per second of search, whole corpus: {fmt(t['evals_per_s'], '.2f')}",
        f"max peak RSS: {fmt(t['peak_rss_max'], '.0f')} MB",
    ]


def text_table(results: list[CaseResult]) -> str:
    rows = [COLUMNS, *(row(r) for r in results)]
    widths = [max(len(cells[i]) for cells in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() for cells in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def cpu_count() -> int:
    # What `nproc` prints: the CPUs this process may run on, not all of the machine's.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def markdown(results: list[CaseResult], command: str, started: dt.datetime) -> str:
    t = totals(results)
    out = [
        "# treefix benchmark results",
        "",
        f"- date: {started.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"- machine: nproc={cpu_count()}, {platform.machine()}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}",
        f"- command: `{command}`",
        "",
        "## Totals",
        "",
        *(f"- {line}" for line in totals_lines(t)),
        "",
        "## Cases",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    out += ["| " + " | ".join(md_cell(c) for c in row(r)) + " |" for r in results]
    notes = [(r.case_id, r.note) for r in results if r.note]
    if notes:
        out += ["", "## Notes", ""]
        out += [f"- `{cid}`: {md_cell(note)}" for cid, note in notes]
    out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cases", default="", help="comma-separated case ids (default: all)")
    p.add_argument("--time-limit", type=int, default=60, help="seconds per case (treefix)")
    p.add_argument("--max-evals", type=int, default=600, help="candidate evaluations per case")
    p.add_argument("--sandbox", default="local", help="treefix sandbox backend")
    p.add_argument("--out", type=Path, default=BENCH / "RESULTS.md", help="Markdown report")
    p.add_argument("--json-out", type=Path, help="also write the per-case results as JSON")
    p.add_argument(
        "--no-overhead",
        dest="overhead",
        action="store_false",
        help="skip the overhead measurements",
    )
    p.add_argument(
        "--extra-args",
        type=shlex.split,
        default=[],
        help='more options for `treefix repair`, e.g. "--test-timeout 10"',
    )
    p.add_argument(
        "--treefix-cmd",
        type=shlex.split,
        default=[sys.executable, "-m", "treefix"],
        help="command that runs treefix (default: this interpreter's `-m treefix`)",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cases = load_cases()
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()] or list(cases)
    unknown = [c for c in wanted if c not in cases or not (CORPUS / c).is_dir()]
    if unknown:
        print(f"run.py: unknown case(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC)
    command = shlex.join(["python", sys.argv[0], *(sys.argv[1:] if argv is None else argv)])
    results: list[CaseResult] = []
    code = 0
    try:
        for i, case_id in enumerate(wanted, 1):
            print(f"[{i}/{len(wanted)}] {case_id} ...", end=" ", flush=True)
            r = run_case(case_id, cases[case_id], args)
            results.append(r)
            extra = f" ({r.note})" if r.note and not r.fixed else ""
            print(f"{r.outcome}{extra} in {r.wall:.1f}s", flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted: writing the results so far", file=sys.stderr)
        code = 130
    print()
    print(text_table(results))
    print()
    print("\n".join(totals_lines(totals(results))))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(results, command, started))
    if args.json_out:
        payload = {
            "command": command,
            "totals": totals(results),
            "cases": [asdict(r) for r in results],
        }
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
