#!/usr/bin/env python3
"""Prove each built bug: the buggy snapshot fails its named tests, the developer's fix passes all.

    python bench/real/validate.py [--work bench/real/.work] [--only id,id] [--kind program|repo]
                                  [--runs 2] [--out bench/real/validated.json] [--write-deselect]

Each version (buggy, and buggy + fix/ overlaid) runs `runs` times in a fresh copy; a bug is kept
when every named failing test fails on the buggy version, every test passes (or is skipped) on the
fixed version, and repeated runs agree test by test (else it is excluded as flaky). Tests that fail
on buggy and pass on fixed beyond the named ones are kept as extra targets. `--write-deselect`
adds `--deselect` for tests that fail the same way on both versions (the environment's fault, not
the bug's) to the repository bugs' manifest commands, for the next build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import testrun
from corpus import MANIFESTS, VALIDATED, WORK, Built, built_bugs, load_manifests, write_manifest


@dataclass
class Verdict:
    id: str
    kind: str
    source: str
    outcome: str  # ok | excluded
    reason: str = ""
    tests: int = 0
    targets: list[str] = field(default_factory=list)  # junit keys failing on buggy only
    buggy_s: float = 0.0
    fixed_s: float = 0.0
    env_failures: list[str] = field(default_factory=list)  # fail on both versions alike


def copy_version(built: Built, dest: Path, fixed: bool) -> Path:
    repo = dest / "repo"
    shutil.copytree(built.repo, repo, symlinks=True)
    if fixed:
        for src in built.fix.rglob("*"):
            if src.is_file():
                target = repo / src.relative_to(built.fix)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
    return repo


def runs_of(built: Built, fixed: bool, runs: int, timeout: float) -> list[testrun.Outcomes]:
    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="tfx-validate-") as tmp:
            repo = copy_version(built, Path(tmp), fixed)
            out.append(testrun.run_tests(built.test_cmd, repo, timeout))
        if out[-1].timed_out:  # a hang is a verdict already: do not wait for it again
            break
    return out


def judge(built: Built, buggy: list[testrun.Outcomes], fixed: list[testrun.Outcomes]) -> Verdict:
    bug = built.bug
    v = Verdict(bug.id, bug.kind, bug.source, "excluded")
    v.buggy_s = round(max(o.wall for o in buggy), 2)
    v.fixed_s = round(max(o.wall for o in fixed), 2)
    for name, outs in (("buggy", buggy), ("fixed", fixed)):
        if any(o.timed_out for o in outs):
            v.reason = f"the {name} version's tests time out"
            return v
        if not outs[0].tests:
            last = outs[0].tail.strip().splitlines()[-1:] or ["no output"]
            v.reason = f"no test results from the {name} version: {last[0][:200]}"
            return v
        for other in outs[1:]:
            if other.tests != outs[0].tests:
                diff = sorted(
                    k
                    for k in outs[0].tests.keys() | other.tests.keys()
                    if outs[0].tests.get(k) != other.tests.get(k)
                )
                v.reason = f"flaky on the {name} version: {', '.join(diff[:3])}"
                return v
    b, f = buggy[0], fixed[0]
    v.tests = len(f.tests)
    fixed_bad = f.bad()
    v.env_failures = sorted(k for k in fixed_bad if b.tests.get(k) == f.tests.get(k))
    if fixed_bad:
        v.reason = f"{len(fixed_bad)} test(s) fail on the fixed version: {', '.join(sorted(fixed_bad)[:3])}"
        return v
    missing = [t for t in bug.failing_tests if b.outcome(t) not in ("failed", "error")]
    if missing:
        got = {t: b.outcome(t) for t in missing[:3]}
        v.reason = f"named failing test(s) do not fail on the buggy version: {got}"
        return v
    v.targets = sorted(b.bad())
    v.outcome, v.reason = "ok", ""
    return v


def load_verdicts(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    return {v["id"]: v for v in json.loads(path.read_text())["bugs"]}


def save_verdicts(path: Path, verdicts: dict[str, dict]) -> None:
    """Merge into the file as it is now, so validators of other kinds running at once keep theirs."""
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = {**load_verdicts(path), **verdicts}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(render_verdicts(merged))
        tmp.replace(path)


def render_verdicts(verdicts: dict[str, dict]) -> str:
    rows = sorted(verdicts.values(), key=lambda v: v["id"])
    kept = [v for v in rows if v["outcome"] == "ok"]
    data = {
        "generated": dt.date.today().isoformat(),
        "validated": len(kept),
        "programs": sum(v["kind"] == "program" for v in kept),
        "repos": sum(v["kind"] == "repo" for v in kept),
        "bugs": [
            {
                k: v[k]
                for k in (
                    "id",
                    "kind",
                    "source",
                    "outcome",
                    "reason",
                    "tests",
                    "targets",
                    "buggy_s",
                    "fixed_s",
                )
            }
            for v in rows
        ],
    }
    return json.dumps(data, indent=1) + "\n"


def key_to_nodeid(key: str, test_files: list[str]) -> str | None:
    for path in test_files:
        module = path.removesuffix(".py").replace("/", ".")
        if key.startswith(module + ".") or key.startswith(module + "::"):
            rest = key[len(module) :].lstrip(".")
            classes, _, name = rest.rpartition("::")
            return "::".join([path, *filter(None, classes.split(".")), name])
    return None


def write_deselects(verdicts: list[Verdict], built: dict[str, Built]) -> int:
    """Append --deselect for environment failures to the manifests' test commands."""
    todo = {v.id: v for v in verdicts if v.kind == "repo" and v.env_failures}
    changed = 0
    for path in sorted(MANIFESTS.glob("*.jsonl")):
        bugs = load_manifests([path])
        for bug in bugs:
            v = todo.get(bug.id)
            if not v:
                continue
            files = bug.origin.get("test_files", [])
            ids = [key_to_nodeid(k, files) for k in v.env_failures]
            for nodeid in filter(None, ids):
                if nodeid not in bug.test_cmd and nodeid not in bug.failing_tests:
                    bug.test_cmd += f" --deselect {nodeid}"
                    bug.notes = "deselected: tests that fail on the fixed commit too in this env"
                    changed += 1
        write_manifest(path, bugs)
    return changed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--only", default="")
    ap.add_argument("--kind", choices=["program", "repo"])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=VALIDATED)
    ap.add_argument("--write-deselect", action="store_true")
    ap.add_argument("--redo", action="store_true", help="revalidate bugs already in --out")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--repo-timeout", type=float, default=240, help="seconds for one test run")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    verdicts = load_verdicts(args.out)
    todo = [
        b
        for b in built_bugs(args.work)
        if (not only or b.bug.id in only)
        and (not args.kind or b.bug.kind == args.kind)
        and (args.redo or only or b.bug.id not in verdicts)
    ]
    done: list[Verdict] = []
    mine: dict[str, dict] = {}  # this run's verdicts, merged into the file on each save
    lock = threading.Lock()

    def one(built: Built) -> None:
        timeout = 60 if built.bug.kind == "program" else args.repo_timeout
        buggy = runs_of(built, False, args.runs, timeout)
        fixed = runs_of(built, True, 1 if buggy[-1].timed_out else args.runs, timeout)
        v = judge(built, buggy, fixed)
        with lock:
            done.append(v)
            mine[v.id] = asdict(v)
            save_verdicts(args.out, mine)
            print(
                f"[{len(done)}/{len(todo)}] {v.id}: {v.outcome} {v.reason}",
                file=sys.stderr,
                flush=True,
            )

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(one, todo))
    if args.write_deselect:
        n = write_deselects(done, {b.bug.id: b for b in todo})
        print(
            f"added {n} --deselect option(s) to the manifests; rebuild with --force",
            file=sys.stderr,
        )
    ok = sum(v.outcome == "ok" for v in done)
    print(f"validated {ok}/{len(done)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
