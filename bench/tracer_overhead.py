"""Per-test coverage overhead: a small suite run with treefix's plugin and no coverage, then with
each recorder (the plugin's default choice, treefix's settrace tracer, coverage.py's C tracer
loaded from treefix's own coverage.py).

    .venv/bin/python bench/tracer_overhead.py [PYTHON ...]   # default: this interpreter

Prints the median wall and CPU time of 5 runs per mode, and their ratios to the run without
coverage.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from treefix.sandbox.ctracer import ctracer_path
from treefix.sandbox.local import support_dir

SOURCE = """\
def primes(n):
    out = []
    for k in range(2, n):
        if all(k % d for d in range(2, int(k ** 0.5) + 1)):
            out.append(k)
    return out


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
"""

TESTS = """\
import pytest
from pkg.calc import fib, primes


@pytest.mark.parametrize("n", range(100))
def test_primes(n):
    assert len(primes(200 + n)) > 40


@pytest.mark.parametrize("n", range(100))
def test_fib(n):
    assert fib(n + 300) > 0
"""


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg/__init__.py").write_text("")
    (root / "pkg/calc.py").write_text(SOURCE)
    (root / "tests/test_calc.py").write_text(textwrap.dedent(TESTS))
    return root


def _time(python: str, root: Path, results: Path, env: dict[str, str]) -> tuple[float, float]:
    """Median wall and CPU (user + sys) seconds of 5 runs: on a shared machine the CPU figure
    is the one load does not inflate much."""
    argv = [python, "-m", "pytest", "-q", "-p", "treefix_pytest", "-p", "no:cacheprovider"]
    full = {**os.environ, "PYTHONPATH": support_dir(), "TREEFIX_RESULTS": str(results), **env}
    walls, cpus = [], []
    for _ in range(5):
        for f in results.iterdir():
            f.unlink()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, cwd=root, env=full, check=True, capture_output=True)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main(pythons: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root, results = _project(Path(tmp) / "proj"), Path(tmp) / "results"
        results.mkdir()
        for python in map(os.path.abspath, pythons):
            probe = "import sys; print(hasattr(sys, 'monitoring'))"
            out = subprocess.run([python, "-c", probe], capture_output=True, text=True)
            # default: the plugin's own choice (sys.monitoring on 3.12+, else a C tracer that
            # loads: the one given below or the project's coverage.py's, else settrace)
            modes = {"none": {}, "default": {"TREEFIX_COVERAGE": "1"}}
            if out.stdout.strip() == "True":  # default is sys.monitoring there: settrace too
                modes["settrace"] = {"TREEFIX_COVERAGE": "1", "TREEFIX_TRACER": "settrace"}
            if ctracer_path():  # coverage.py's C tracer from treefix's own, when this ABI loads it
                ctracer = {"TREEFIX_TRACER": "ctracer", "TREEFIX_CTRACER": ctracer_path()}
                modes["ctracer"] = {"TREEFIX_COVERAGE": "1", **ctracer}
            base = None
            for mode, env in modes.items():
                wall, cpu = _time(python, root, results, env)
                base = base or (wall, cpu)
                print(
                    f"{python}  {mode:12} wall {wall:6.2f}s x{wall / base[0]:.2f}"
                    f"  cpu {cpu:6.2f}s x{cpu / base[1]:.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main(sys.argv[1:] or [sys.executable])
