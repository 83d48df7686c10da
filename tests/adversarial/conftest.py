"""Fixtures shared by the adversarial suite: every case runs against each sandbox backend.

`backend` is a module-scoped parameter ("local", "docker"); `backends` opens sandboxes of that kind
for any Project (closed at module teardown), builds the runner treefix would use for it, and says
which of a run's processes are still alive. Docker cases carry the `docker` mark and need the
`docker_engine` / `sandbox_image` fixtures of tests/conftest.py (skip without an engine, fail
under CI).

Limits are short on purpose (the whole suite has a time budget): a few seconds of wall clock,
small memory and pids limits, a small file-size and output cap.
"""

from __future__ import annotations

import os
import secrets
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.adversarial.host import TAG_VAR, HostState, assert_unchanged, tagged_processes
from tests.conftest import write_tree
from treefix.protocols import ExecRequest, ExecResult, Sandbox
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import TestReport
from treefix.workspace.snapshot import Project, snapshot

# Small limits: big enough for pytest itself, small enough that hitting them is quick.
MEMORY = 256 << 20
PIDS = 64
FILE_BYTES = 32 << 20
OUTPUT_BYTES = 256 << 10
TMP_BYTES = 64 << 20

BACKENDS = [
    pytest.param("local", id="local"),
    pytest.param("docker", id="docker", marks=pytest.mark.docker),
]

# A passing project with one slot (tests/test_hostile.py) that hostile candidates replace.
CALC = {
    "conftest.py": "",
    "calc/__init__.py": "",
    "calc/core.py": "def add(a, b):\n    return a + b\n",
    "tests/test_core.py": (
        "from calc.core import add\n\n"
        "def test_add():\n    assert add(2, 3) == 5\n\n"
        "def test_add_negative():\n    assert add(-2, -3) == -5\n"
    ),
    "tests/test_hostile.py": "def test_hostile():\n    pass\n",
}
HOSTILE = "tests/test_hostile.py"
HOSTILE_ID = "tests/test_hostile.py::test_hostile"
CORE_TESTS = ("tests/test_core.py::test_add", "tests/test_core.py::test_add_negative")


def hostile(body: str, path: str = HOSTILE) -> dict[str, bytes]:
    """A candidate that replaces one file with `body` (dedented)."""
    return {path: textwrap.dedent(body).encode()}


def make_project(root: Path, files: dict[str, str] | None = None) -> Project:
    write_tree(root, files or CALC)
    return snapshot(str(root))


def outcomes(report: TestReport) -> dict[str, str]:
    return {k: v.outcome for k, v in report.tests.items()}


@dataclass
class Backends:
    """Opens sandboxes of one kind; everything it opened is closed at teardown."""

    kind: str
    client: object | None = None  # docker client (docker only)
    image: str = ""
    run_id: str = field(default_factory=lambda: f"adv-{secrets.token_hex(3)}")
    opened: list[Sandbox] = field(default_factory=list)

    def open(
        self,
        project: Project,
        *,
        memory: int = MEMORY,
        pids: int = PIDS,
        file_bytes: int = FILE_BYTES,
        output_bytes: int = OUTPUT_BYTES,
        tmp_bytes: int = TMP_BYTES,
        label: str = "",
    ) -> Sandbox:
        label = label or f"w{len(self.opened)}"
        if self.kind == "local":
            from treefix.sandbox.local import Limits, LocalSandbox

            lim = Limits(
                memory_bytes=memory,
                pids=pids,
                file_bytes=file_bytes,
                output_bytes=output_bytes,
                tmp_bytes=tmp_bytes,
            )
            box: Sandbox = LocalSandbox(project, limits=lim, label=f"{self.run_id}-{label}")
        else:
            from treefix.sandbox.docker import DockerLimits, DockerSandbox

            box = DockerSandbox(
                project,
                image=self.image,
                run_id=self.run_id,
                client=self.client,
                limits=DockerLimits(
                    memory=f"{memory >> 20}m",
                    pids=pids,
                    file_bytes=file_bytes,
                    output_bytes=output_bytes,
                    tmp_size=f"{tmp_bytes >> 20}m",
                    kill_grace=1,
                ),
                label=label,
            )
        self.opened.append(box)
        return box

    runners: dict[str, TestRunner] = field(default_factory=dict)

    def runner(self, project: Project) -> TestRunner:
        """The runner `treefix repair --sandbox <kind>` builds for this project, as it is after
        the baseline: with TREEFIX_TEST_RUNNER=warm (the default) every hostile candidate runs
        in a warm server's forked child; =cold gives a fresh, cold runner per case."""
        python = "python3" if self.kind == "docker" else sys.executable
        command = detect_test_command(project.root, None, python=python)
        mode = os.environ.get("TREEFIX_TEST_RUNNER", "warm")
        if mode == "cold":
            return TestRunner(command, mode="cold")
        key = str(project.root)
        if key not in self.runners:  # one runner per project: one server per sandbox
            runner = TestRunner(command, mode=mode)
            baseline = runner.run(self.open(project, label="base"), {}, timeout=120)
            assert baseline.tests, baseline.output[-2000:]
            self.runners[key] = runner
        return self.runners[key]

    def leftovers(self, box: Sandbox, tag: str) -> list[str]:
        """Processes a run left alive: tagged host processes (local), uid-1000 ones (docker).
        A warm server between runs (its own session, started by the sandbox) is not one."""
        if self.kind == "local":
            return sorted(cmd for pid, cmd in tagged_processes(tag) if not self.warm_server(pid))
        code, out = box.container.exec_run(["ps", "-eo", "pid,user,stat,args"])  # type: ignore[attr-defined]
        assert code == 0, out
        rows = [ln.split(None, 3) for ln in out.decode().splitlines()[1:]]
        return [
            " ".join(r)
            for r in rows
            if r[1] == "1000" and not r[2].startswith("Z") and not self.warm_args(r[3:])
        ]

    @staticmethod
    def warm_args(args: list[str]) -> bool:
        """A warm server's command line (`python3 -m treefix_warm`), alive between runs."""
        return bool(args) and args[0].split()[1:] == ["-m", "treefix_warm"]

    def warm_server(self, pid: int) -> bool:
        """pid is a warm server's (the process, its namespace and cgroup wrappers): alive between
        runs by design; a candidate's processes have sessions of their own."""
        return _session(pid) in {p.pid for b in self.opened for p in getattr(b, "_live", [])}

    def sh(self, box: Sandbox, script: str, timeout: float = 20) -> ExecResult:
        """A raw command in the sandbox's project folder (no pytest, no marker)."""
        return box.execute({}, ExecRequest(["sh", "-c", script], {}, timeout))

    def close(self) -> None:
        served = {k: r.warm_runs for k, r in self.runners.items()}
        for runner in self.runners.values():
            runner.close()
        for box in self.opened:
            box.close()
        self.opened.clear()
        if served:  # the cases really ran in warm servers' children
            assert all(served.values()), served


def _session(pid: int) -> int:
    try:
        return os.getsid(pid)
    except OSError:
        return -1


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def host_tag() -> Iterator[str]:
    """A unique TAG_VAR for this module: every process treefix starts (the local sandbox passes the
    environment on, scrubbed) carries it, so leftovers can be found without looking elsewhere."""
    tag = f"adv-{secrets.token_hex(4)}"
    old = os.environ.get(TAG_VAR)
    os.environ[TAG_VAR] = tag
    yield tag
    if old is None:
        os.environ.pop(TAG_VAR, None)
    else:
        os.environ[TAG_VAR] = old


@pytest.fixture(scope="module")
def backends(backend, host_tag, request) -> Iterator[Backends]:
    if backend == "docker":
        client = request.getfixturevalue("docker_engine")
        image = request.getfixturevalue("sandbox_image")
        b = Backends("docker", client, image)
    else:
        b = Backends("local")
    yield b
    b.close()


@pytest.fixture(scope="module")
def calc(tmp_path_factory) -> Project:
    return make_project(tmp_path_factory.mktemp("calc") / "proj")


@pytest.fixture(scope="module")
def box(backends, calc) -> Sandbox:
    """One sandbox per module and backend, with the suite's small limits."""
    return backends.open(calc)


def assert_still_healthy(runner: TestRunner, box: Sandbox) -> None:
    """The next candidate runs in the same sandbox against the original files, and passes."""
    rep = runner.run(box, {}, None, timeout=30, per_test_timeout=10)
    assert rep.status == "passed", (rep.status, rep.detail, rep.output[-2000:])
    assert outcomes(rep) == {**dict.fromkeys(CORE_TESTS, "passed"), HOSTILE_ID: "passed"}


def assert_files_unchanged(before: HostState, root: Path) -> None:
    """`assert_unchanged` minus the machine-wide parts (containers, temp dirs) that tests of other
    modules running at the same time change; cases that start treefix check those by run id."""
    after = HostState.capture(root)
    after.containers = before.containers
    assert_unchanged(before, after, check_temp=False)
