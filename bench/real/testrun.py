"""Run a bug's test command once and read per-test outcomes from pytest's JUnit XML.

The verdict per test comes from JUnit XML (every pytest since 2.x writes it); node ids
(`test/a_test.py::Class::test_x`) are matched to JUnit's (classname, name) by turning the path
into a dotted module name, which is how pytest builds the classname.
"""

from __future__ import annotations

import os
import shlex
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from treefix.sandbox.process import ProcessResult, run_process


def run(argv: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> ProcessResult:
    """argv in its own session, the whole group killed at the timeout: treefix's own runner."""
    return run_process(argv, cwd=str(cwd), env=dict(os.environ if env is None else env), timeout=timeout)


def junit_key(nodeid: str) -> str:
    """`test/a_test.py::C::t[x]` -> `test.a_test.C::t[x]`, comparable with junit_keys()."""
    path, _, rest = nodeid.partition("::")
    module = path[:-3] if path.endswith(".py") else path
    parts = rest.split("::")
    classname = ".".join([module.replace("/", "."), *parts[:-1]])
    return f"{classname}::{parts[-1]}"


@dataclass
class Outcomes:
    """Per-test outcomes of one run: passed | failed | error | skipped."""

    tests: dict[str, str] = field(default_factory=dict)  # junit key -> outcome
    returncode: int | None = None
    wall: float = 0.0
    tail: str = ""

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def outcome(self, nodeid: str) -> str | None:
        """A parametrised test named without its parameters takes its worst case's outcome."""
        key = junit_key(nodeid)
        if key in self.tests:
            return self.tests[key]
        cases = [v for k, v in self.tests.items() if k.startswith(key + "[")]
        for worst in ("error", "failed", "passed", "skipped"):
            if worst in cases:
                return worst
        return None

    def bad(self) -> set[str]:
        return {k for k, v in self.tests.items() if v in ("failed", "error")}


def read_junit(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    if not path.is_file() or path.stat().st_size == 0:
        return out
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return out
    for case in root.iter("testcase"):
        key = f"{case.get('classname', '')}::{case.get('name', '')}"
        kinds = {child.tag for child in case}
        if "error" in kinds:
            outcome = "error"
        elif "failure" in kinds:
            outcome = "failed"
        elif "skipped" in kinds:
            outcome = "skipped"
        else:
            outcome = "passed"
        # a test that passes but errors in teardown shows up twice: keep the worse
        if out.get(key) in ("failed", "error") and outcome == "passed":
            continue
        out[key] = outcome
    return out


def run_tests(test_cmd: str, cwd: Path, timeout: float) -> Outcomes:
    """test_cmd plus --junitxml into a temp file (and no cache folder left in the tree)."""
    with tempfile.TemporaryDirectory(prefix="tfx-junit-") as tmp:
        xml = Path(tmp) / "junit.xml"
        argv = [*shlex.split(test_cmd), f"--junitxml={xml}", "-p", "no:cacheprovider"]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("PYTHONPATH", None)
        proc = run(argv, cwd, timeout, env)
        tail = (proc.stdout + proc.stderr)[-3000:]
        return Outcomes(read_junit(xml), proc.returncode, proc.duration, tail)
