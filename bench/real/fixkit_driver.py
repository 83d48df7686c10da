#!/usr/bin/env python3
"""Run FixKit 0.0.1's GenProg or Kali on one bug copy within a wall-clock budget; print JSON.

    <fixkit-venv>/bin/python bench/real/fixkit_driver.py --tool genprog|kali --src DIR
        --tests tests/test_x.py [--tests ...] --time-limit 60 --workers 2 --out WORKDIR

Runs inside FixKit's venv (never imports treefix). FixKit has no wall-clock limit of its own, so
its repair loop (`prepare_repair`, then generations until `abort()`) is driven here with a deadline
checked between generations, and every fitness evaluation after the deadline scores 0 without
running (Kali evaluates all its variants in one generation). Localization: FixKit's
CoverageLocalization (coverage.py contexts, Ochiai) over the given tests; FixKit runs the tests
with `python -m pytest --json-report` found on PATH (the caller puts this venv's bin first).

Output (stdout, one JSON object): patch (unified diff, a/ b/ paths, of the first variant whose
fitness is 1, minimized by FixKit's delta debugging when the budget allows), evaluations,
evals_to_first_fix, time_to_first_fix (seconds from the search's start, after localization),
localize_s, status, message.
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import fixkit_shim  # noqa: F401  (must precede the fixkit imports)
from fixkit.candidate import GeneticCandidate
from fixkit.genetic.transform import MutationTransformer
from fixkit.localization.coverage import CoverageLocalization
from fixkit.repair.pygenprog import PyGenProg
from fixkit.repair.pykali import PyKali
from fixkit.repair.repair import GeneticRepair

# FixKit's statement finder must not mutate tests (the scorer rejects such patches anyway).
EXCLUDES = ["tests", "tests/*", "test", "test/*", "test_*.py", "*_test.py", "conftest.py"]


class Kali(PyKali):
    """FixKit 0.0.1's PyKali passes `initial_candidate=` to GeneticRepair, which takes `src=`
    (a TypeError on construction); this builds it the way PyGenProg does, nothing else changed."""

    def __init__(self, src: Path, excludes: list[str], **kw: Any) -> None:
        from fixkit.fitness.metric import GenProgFitness
        from fixkit.genetic.crossover import OnePointCrossover
        from fixkit.genetic.minimize import DDMutationMinimizer
        from fixkit.genetic.selection import UniversalSelection

        self.metric = GenProgFitness(set(), set())
        GeneticRepair.__init__(
            self,
            src=src,
            fitness=self.metric,
            population_size=1,
            operators=PyKali.OPERATORS,
            selection=UniversalSelection(),
            crossover_operator=OnePointCrossover(),
            minimizer=DDMutationMinimizer(),
            excludes=excludes,
            **kw,
        )


def _kali_operators() -> list[Any]:
    from fixkit.genetic import operators as op

    return [
        op.Delete,
        op.ModifyIfToTrue,
        op.ModifyIfToFalse,
        op.InsertReturnList,
        op.InsertReturnTuple,
        op.InsertReturn0,
        op.InsertReturnString,
        op.InsertReturnNone,
    ]  # PyKali.__init__'s list, verbatim


PyKali.OPERATORS = _kali_operators()  # type: ignore[attr-defined]


class Budget:
    """Counts fitness evaluations, stops them at the deadline, remembers the first fix's time."""

    def __init__(self, fitness: Any, deadline: float, started: float) -> None:
        self.inner = fitness.evaluate_fitness
        self.deadline = deadline
        self.started = started
        self.evaluations = 0
        self.first_fix: tuple[float, int] | None = None
        fitness.evaluate_fitness = self.evaluate

    def evaluate(self, cwd: Any, env: Any = None) -> float:
        if time.monotonic() >= self.deadline:
            return 0.0
        self.evaluations += 1
        value = float(self.inner(cwd, env))
        if value >= 1 - 1e-8 and self.first_fix is None:
            self.first_fix = (time.monotonic() - self.started, self.evaluations)
        return value

    def over(self) -> bool:
        return time.monotonic() >= self.deadline


class _OneOrMany:
    """FixKit 0.0.1's DDMutationMinimizer calls `engine.evaluate(candidate)` with one candidate
    where the engine iterates a population (it would iterate the candidate's mutations)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def evaluate(self, population: Any) -> None:
        self.engine.evaluate(
            [population] if isinstance(population, GeneticCandidate) else population
        )


def build(tool: str, src: Path, tests: list[str], out: Path, workers: int) -> GeneticRepair:
    localization = CoverageLocalization(src, cov=".", tests=tests, out=out, metric="Ochiai")
    common = dict(localization=localization, workers=workers, out=out)
    if tool == "genprog":
        # GenProg's published defaults, as FixKit's README example uses them
        return PyGenProg(
            src=src,
            population_size=40,
            max_generations=10**6,
            w_mut=0.06,
            excludes=EXCLUDES,
            **common,
        )
    return Kali(src, EXCLUDES, max_generations=1, w_mut=1.0, **common)


def diff(src: Path, variant: Path, files: list[str]) -> str:
    out = []
    for rel in sorted(files):
        a = (src / rel).read_text()
        b = (variant / rel).read_text()
        if a != b:
            out += difflib.unified_diff(
                a.splitlines(keepends=True), b.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
            )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def patch_of(candidate: GeneticCandidate, src: Path, out: Path) -> str:
    dst = out / "patched"
    transformer = MutationTransformer()
    transformer.transform(candidate, dst)
    return diff(src, dst, sorted(transformer.files))


def repair(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    deadline = started + args.time_limit
    rep = build(args.tool, args.src, args.tests, args.out, args.workers)
    budget = Budget(rep.metric, deadline, started)
    rep.prepare_repair()
    # time to the first fix counts from the search's start, as treefix's does (after its baseline
    # and localization); the localization's own time is reported beside it
    localize_s = time.monotonic() - started
    budget.started = time.monotonic()
    fixes: list[GeneticCandidate] = []
    if not rep.abort():
        rep.population = rep.fill_population(rep.population)
        rep.fitness.evaluate(rep.population)
        generations = 0
        while not rep.abort() and not budget.over() and generations < rep.max_generations:
            rep.iteration()
            generations += 1
    best = [c for c in rep.population if c.fitness >= 1 - 1e-8 and c.mutations]
    if best:
        rep.minimizer.fitness = _OneOrMany(rep.fitness)
        fixes = rep.minimizer.minimize(best[:1])  # within the budget: Budget scores 0 after it
    result: dict[str, Any] = {
        "evaluations": budget.evaluations,
        "time_to_first_fix": round(budget.first_fix[0], 2) if budget.first_fix else None,
        "evals_to_first_fix": budget.first_fix[1] if budget.first_fix else None,
        "localize_s": round(localize_s, 2),
        "suspicious": len(rep.suggestions),
        "failing_tests": len(rep.localization.failing),
        "passing_tests": len(rep.localization.passing),
    }
    if fixes and fixes[0].fitness >= 1 - 1e-8:
        result.update(status="fixed", patch=patch_of(fixes[0], args.src, args.out))
    else:
        why = "budget spent" if budget.over() else "search ended"
        result.update(status="no_fix", message=why, patch="")
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tool", choices=["genprog", "kali"], required=True)
    ap.add_argument("--src", type=Path, required=True)
    ap.add_argument("--tests", action="append", required=True)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import random

    random.seed(args.seed)
    logging.disable(logging.INFO)
    args.src, args.out = args.src.resolve(), args.out.resolve()
    try:
        result = repair(args)
    except Exception as exc:  # FixKit's own failure: reported as the tool's outcome
        tail = traceback.format_exc().strip().splitlines()[-1]
        result = {"status": "error", "message": f"{type(exc).__name__}: {tail}"[:300], "patch": ""}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
