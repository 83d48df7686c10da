#!/usr/bin/env python3
"""Write manifests/refactory.jsonl: Refactory wrong submissions paired with their nearest fix.

    python bench/real/collect_refactory.py --mirrors /work/.mirror [--per-question 45]

Needs the fetched mirror of githubhuyang/refactory. Each kept pair is built once in a temp folder
and its tests run, so the manifest names the cases that fail on the buggy program; programs that
hang on a case are listed with a skip reason.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import mirrors
import refactory
import testrun
from corpus import MANIFESTS, Bug, write_manifest
from programs import MODULE, TEST_FILE, project_files, test_id

PY = "3.11"
DEPS = ["pytest==8.3.5"]
TEST_CMD = "{python} -m pytest -q " + TEST_FILE


def failing_cases(files: dict[str, str], cases, python: str) -> tuple[list[str], str]:
    with tempfile.TemporaryDirectory(prefix="tfx-refactory-") as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        res = testrun.run_tests(TEST_CMD.format(python=python), root, timeout=20)
    if res.timed_out:
        return [], "the buggy program hangs on a case (no per-test verdict)"
    failing = [test_id(c) for c in cases if res.outcome(test_id(c)) in ("failed", "error")]
    if not res.tests:
        return [], "no test outcomes (collection error): " + res.tail.strip().splitlines()[-1:][0]
    return failing, "" if failing else "no case fails"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--per-question", type=int, default=45)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=MANIFESTS / "refactory.jsonl")
    args = ap.parse_args()
    gdir = mirrors.git_dir(args.mirrors, refactory.REPO)
    commit = mirrors.git(gdir, "rev-parse", "HEAD").decode().strip()
    bugs: list[Bug] = []
    for qname in refactory.questions(args.mirrors, commit):
        q = refactory.load_question(args.mirrors, commit, qname)
        found = refactory.pairs(q)
        random.Random(f"{args.seed}-{qname}").shuffle(found)
        kept = 0
        for wrong, correct, n in found:
            if kept >= args.per_question:
                break
            files = project_files(q.wrong[wrong], q.cases, q.prelude)
            failing, skip = failing_cases(files, q.cases, sys.executable)
            bugs.append(
                Bug(
                    id=refactory.bug_id(qname, wrong),
                    source="refactory",
                    kind="program",
                    origin={
                        "repo": refactory.REPO,
                        "commit": commit,
                        "archive": refactory.ARCHIVE,
                        "question": qname,
                        "buggy": wrong,
                        "fixed": correct,
                        "prelude": q.prelude_path,
                        "cases": f"data/{qname}/ans",
                        "fix_is": f"nearest correct submission ({n} changed lines)",
                    },
                    python=PY,
                    deps=DEPS,
                    test_cmd=TEST_CMD,
                    failing_tests=failing,
                    changed_files=[MODULE],
                    skip=skip,
                )
            )
            kept += 0 if skip else 1
        print(f"{qname}: {len(found)} close pairs, {kept} kept", file=sys.stderr)
    write_manifest(args.out, sorted(bugs, key=lambda b: b.id))
    print(f"wrote {len(bugs)} bugs to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
