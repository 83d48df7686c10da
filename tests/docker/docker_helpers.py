"""Shared pieces of the Docker sandbox tests: a small project, a runner, container look-ups."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import write_tree
from treefix.sandbox.docker import DockerLimits, DockerSandbox
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import TestReport
from treefix.workspace.snapshot import Project, snapshot

# a passing project with one slot (tests/test_hostile.py) that candidates replace
CALC = {
    "conftest.py": "",
    "calc/__init__.py": "",
    "calc/core.py": "def add(a, b):\n    return a + b\n",
    "tests/test_core.py": (
        "from calc.core import add\n\n"
        "def test_add():\n    assert add(2, 3) == 5\n\n"
        "def test_add_negative():\n    assert add(-2, -3) == -5\n"
    ),
    "tests/test_hostile.py": "def test_placeholder():\n    pass\n",
}
HOSTILE = "tests/test_hostile.py"
CORE_TESTS = {"tests/test_core.py::test_add", "tests/test_core.py::test_add_negative"}


def make_project(root: Path, files: dict[str, str] | None = None) -> Project:
    write_tree(root, files or CALC)
    return snapshot(str(root))


def runner_for(project: Project) -> TestRunner:
    """The runner `treefix repair --sandbox docker` builds (python3 as the sandbox sees it)."""
    return TestRunner(detect_test_command(project.root, None, python="python3"))


def open_sandbox(project: Project, client, image: str, run_id: str, **limits) -> DockerSandbox:
    return DockerSandbox(
        project, image=image, run_id=run_id, client=client, limits=DockerLimits(**limits)
    )


def outcomes(report: TestReport) -> dict[str, str]:
    return {k: v.outcome for k, v in report.tests.items()}


def run_clean(runner: TestRunner, sandbox, timeout: float = 60) -> TestReport:
    """The original project, whole suite: what the next candidate in this container would see."""
    return runner.run(sandbox, {}, None, timeout=timeout, per_test_timeout=10)


def assert_still_healthy(runner: TestRunner, sandbox) -> None:
    rep = run_clean(runner, sandbox)
    assert rep.status == "passed", (rep.status, rep.detail, rep.output[-2000:])
    assert outcomes(rep) == {
        **dict.fromkeys(CORE_TESTS, "passed"),
        "tests/test_hostile.py::test_placeholder": "passed",
    }


def candidate_processes(container) -> list[str]:
    """`ps` lines of processes left in the container under the candidate's uid (1000); a warm
    test server (`python3 -m treefix_warm`, alive between runs by design) is not one."""
    code, out = container.exec_run(["ps", "-eo", "pid,user,args"])
    assert code == 0, out
    rows = [ln.split(None, 2) for ln in out.decode().splitlines()[1:]]
    return [
        " ".join(r)
        for r in rows
        if r[1] == "1000" and (len(r) < 3 or r[2].split()[1:] != ["-m", "treefix_warm"])
    ]


def treefix_containers(client, pid: int | None = None) -> list:
    """Containers treefix started from this process (by default) that still exist."""
    pid = os.getpid() if pid is None else pid
    return client.containers.list(all=True, filters={"label": ["treefix", f"treefix.pid={pid}"]})
