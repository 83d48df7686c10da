"""Time MutationProposer.propose() on the corpus, and rank each reference fix among its mutants.

Two steps, so the proposer can be re-timed without re-running any test:

    python bench/propose_timing.py record --out /tmp/calls.pkl [--cases a,b] [--max-evals 40]
    python bench/propose_timing.py time --calls /tmp/calls.pkl [--repeat 3]

`record` repairs each case through the CLI (local sandbox) with the proposer patched to keep the
inputs of its first propose() calls (program state, focus, feedback). `time` replays them with the
current proposer: milliseconds per call (median of `--repeat` runs of each call; median and max
over calls) and, for the first (root) call of each case, the 1-based rank of the first mutant that
gives the reference fix (`bench/fixes/<id>.patch`, compared by `ast.dump`): the number of
evaluations a breadth-first walk needs for a single-edit fix.
"""

from __future__ import annotations

import argparse
import ast
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CORPUS = BENCH / "corpus"
FIXES = BENCH / "fixes"
MAX_CALLS = 6  # propose() calls kept per case: the root and the first expansions


def _child(case_dir: str, out: str, max_evals: str) -> None:
    """Runs inside a subprocess: repair one case, recording propose() inputs."""
    from treefix.propose import mutation

    calls: list[dict] = []
    real = mutation.MutationProposer.propose

    def recording(self, state, focus, feedback=None):
        if len(calls) < MAX_CALLS:
            files = {p: state.read(p) for p in state.paths() if p.endswith(".py")}
            report = feedback.report if feedback is not None else None
            targets = list(feedback.targets) if feedback is not None else []
            calls.append({"files": files, "focus": list(focus), "report": report,
                          "targets": targets})  # fmt: skip
        return real(self, state, focus, feedback)

    mutation.MutationProposer.propose = recording
    from treefix.cli.app import main

    argv = ["treefix", "repair", case_dir, "--json", "--sandbox", "local", "--seed", "0",
            "--max-evals", max_evals, "--time-limit", "60", "--proposer", "mutation"]  # fmt: skip
    sys.argv = argv
    try:
        main()
    except SystemExit:
        pass
    finally:
        Path(out).write_bytes(pickle.dumps(calls))


def record(cases: list[str], out: Path, max_evals: int) -> None:
    data: dict[str, list[dict]] = {}
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / case
            shutil.copytree(CORPUS / case, copy)
            dump = Path(tmp) / "calls.pkl"
            subprocess.run(
                [sys.executable, __file__, "_child", str(copy), str(dump), str(max_evals)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=300,
                check=False,
            )
            data[case] = pickle.loads(dump.read_bytes()) if dump.exists() else []
            print(f"{case}: {len(data[case])} calls", file=sys.stderr)
    out.write_bytes(pickle.dumps(data))


def _fixed_files(case: str) -> dict[str, str] | None:
    """path -> ast.dump of each file the reference fix changes."""
    patch = FIXES / f"{case}.patch"
    if not patch.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / case
        shutil.copytree(CORPUS / case, copy)
        ok = subprocess.run(["patch", "-s", "-p1", "-i", str(patch)], cwd=copy, check=False)
        if ok.returncode != 0:
            return None
        paths = [ln[6:].strip() for ln in patch.read_text().splitlines() if ln.startswith("+++ b/")]
        return {p: ast.dump(ast.parse((copy / p).read_bytes())) for p in paths}


def _rank(cands, state, fixed: dict[str, str]) -> int | None:
    for i, c in enumerate(cands, 1):
        new = state.derive(c.edits)
        try:
            if all(ast.dump(ast.parse(new.read(p))) == d for p, d in fixed.items()):
                return i
        except (SyntaxError, KeyError):
            continue
    return None


def replay(calls_file: Path, repeat: int) -> None:
    from treefix.propose.mutation import MutationProposer
    from treefix.protocols import Feedback
    from treefix.types import ProgramState

    data: dict[str, list[dict]] = pickle.loads(calls_file.read_bytes())
    times: list[float] = []
    counts: list[int] = []
    ranks: dict[str, int | None] = {}
    for case, calls in data.items():
        fixed = _fixed_files(case)
        for i, call in enumerate(calls):
            state = ProgramState(call["files"])
            feedback = Feedback(call["report"], call["targets"])
            took = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                cands = MutationProposer(seed=0).propose(state, call["focus"], feedback)
                took.append((time.perf_counter() - t0) * 1000)
            times.append(statistics.median(took))
            counts.append(len(cands))
            if i == 0 and fixed is not None:
                ranks[case] = _rank(cands, state, fixed)
    print(f"propose() calls: {len(times)}")
    print(f"ms per call: median {statistics.median(times):.1f}, max {max(times):.1f}")
    print(f"candidates per call: median {statistics.median(counts):.0f}, max {max(counts)}")
    found = [r for r in ranks.values() if r is not None]
    print(f"reference fix among root mutants: {len(found)}/{len(ranks)}, "
          f"median rank {statistics.median(found) if found else '-'}")  # fmt: skip
    for case, r in sorted(ranks.items()):
        print(f"  {case}: {r if r is not None else '-'}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        _child(*sys.argv[2:5])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--cases", default="")
    r.add_argument("--max-evals", type=int, default=40)
    t = sub.add_parser("time")
    t.add_argument("--calls", type=Path, required=True)
    t.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.cmd == "record":
        names = args.cases.split(",") if args.cases else sorted(p.name for p in CORPUS.iterdir())
        record([n for n in names if (CORPUS / n).is_dir()], args.out, args.max_evals)
    else:
        os.environ.setdefault("PYTHONWARNINGS", "ignore")
        replay(args.calls, args.repeat)


if __name__ == "__main__":
    main()
