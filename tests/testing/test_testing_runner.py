from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from treefix.sandbox.local import LocalSandbox
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import Status
from treefix.workspace.snapshot import snapshot

CALC = """\
def add(a, b):
    return a + b


def mul(a, b):
    result = 0
    for _ in range(b):
        result += a
    return result
"""

TEST_CALC = """\
from pkg.calc import add, mul


def test_add():
    assert add(2, 3) == 5


def test_mul():
    assert mul(3, 4) == 12
"""


def _make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return root


class Env:
    """A real temp project, its snapshot, a LocalSandbox over it and a runner."""

    def __init__(self, root: Path, test_cmd: str | None = None):
        self.project = snapshot(root)
        self.sandbox = LocalSandbox(self.project)
        self.runner = TestRunner(detect_test_command(self.project.root, test_cmd))

    def run(self, changed=None, **kw):
        kw.setdefault("timeout", 60)
        return self.runner.run(self.sandbox, changed or {}, **kw)


@pytest.fixture
def make_env(tmp_path):
    made: list[Env] = []

    def make(files: dict[str, str], test_cmd: str | None = None) -> Env:
        env = Env(_make(tmp_path / f"proj{len(made)}", files), test_cmd)
        made.append(env)
        return env

    yield make
    for env in made:
        env.sandbox.close()


def test_a_green_suite_passes(make_env):
    env = make_env({"pkg/__init__.py": "", "pkg/calc.py": CALC, "tests/test_calc.py": TEST_CALC})
    report = env.run()
    assert report.status is Status.PASSED
    assert report.exit_code == 0
    assert sorted(report.passing()) == [
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::test_mul",
    ]
    assert report.failing() == []
    assert "2 passed" in report.output


def test_a_failing_suite_fails_with_outcomes_and_frames_into_the_project(make_env):
    buggy = CALC.replace("return a + b", "return a - b")
    env = make_env({"pkg/__init__.py": "", "pkg/calc.py": buggy, "tests/test_calc.py": TEST_CALC})
    report = env.run()
    assert report.status is Status.FAILED
    assert report.exit_code == 1
    assert report.failing() == ["tests/test_calc.py::test_add"]
    assert report.passing() == ["tests/test_calc.py::test_mul"]
    failure = report.tests["tests/test_calc.py::test_add"]
    assert failure.exc_type == "AssertionError"
    assert "assert -1 == 5" in failure.message
    assert failure.frames == [("tests/test_calc.py", 5)]

    # the same project with the candidate fix written in passes, and the copy is restored after
    report = env.run({"pkg/calc.py": CALC.encode()})
    assert report.status is Status.PASSED
    assert env.run().status is Status.FAILED


def test_frames_follow_the_exception_into_the_package(make_env):
    env = make_env(
        {
            "pkg/__init__.py": "",
            "pkg/div.py": "def ratio(a, b):\n    return a / b\n",
            "tests/test_div.py": "from pkg.div import ratio\n\n\ndef test_ratio():\n    assert ratio(1, 0) == 0\n",
        }
    )
    report = env.run()
    assert report.status is Status.FAILED
    failure = report.tests["tests/test_div.py::test_ratio"]
    assert failure.exc_type == "ZeroDivisionError"
    assert failure.frames == [("tests/test_div.py", 5), ("pkg/div.py", 2)]


def test_a_collection_error_is_an_error_on_the_module(make_env):
    env = make_env(
        {
            "pkg/__init__.py": "",
            "pkg/calc.py": CALC.replace("def mul(a, b):", "def mul(a, b)"),
            "tests/test_calc.py": TEST_CALC,
        }
    )
    report = env.run()
    assert report.status is Status.ERROR
    assert report.exit_code == 2
    assert report.failing() == ["tests/test_calc.py"]  # the id pytest uses, nothing invented
    assert report.tests["tests/test_calc.py"].exc_type == "SyntaxError"


def test_no_tests_collected_is_not_a_pass(make_env):
    env = make_env({"tests/test_nothing.py": "def helper():\n    return 1\n"})
    report = env.run()
    assert report.status is Status.NO_TESTS
    assert report.exit_code == 5


def test_skipped_tests_do_not_look_like_hung_ones(make_env):
    env = make_env(
        {
            "tests/test_skips.py": """
                import sys
                import pytest

                @pytest.fixture
                def needs_windows():
                    if sys.platform != "win32":
                        pytest.skip("windows only")

                @pytest.mark.skip(reason="later")
                def test_marked():
                    pass

                def test_fixture_skip(needs_windows):
                    pass

                def test_real():
                    assert True
            """
        }
    )
    report = env.run()
    assert report.status is Status.PASSED, report.detail
    assert report.tests["tests/test_skips.py::test_marked"].outcome == "skipped"
    assert report.tests["tests/test_skips.py::test_fixture_skip"].outcome == "skipped"
    assert report.passing() == ["tests/test_skips.py::test_real"]


def test_an_infinite_loop_is_cut_by_the_per_test_limit(make_env):
    env = make_env(
        {
            "tests/test_loop.py": """
                def test_before():
                    assert True

                def test_loop():
                    n = 0
                    while True:
                        n += 1

                def test_after():
                    assert True
            """
        }
    )
    start = time.monotonic()
    report = env.run(timeout=60, per_test_timeout=1)
    assert time.monotonic() - start < 30
    assert report.status is Status.TIMEOUT
    assert report.exit_code == 1  # pytest carried on and finished the run
    loop = report.tests["tests/test_loop.py::test_loop"]
    assert loop.outcome == "failed"
    assert loop.frames and loop.frames[-1][0] == "tests/test_loop.py"
    assert loop.frames[-1][1] in (7, 8)  # inside the while loop
    assert report.tests["tests/test_loop.py::test_before"].outcome == "passed"
    assert report.tests["tests/test_loop.py::test_after"].outcome == "passed"


def _processes_in(workdir: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                continue  # gone, or a zombie
            if cwd == workdir or cwd.startswith(workdir + "/"):
                pids.append(int(entry))
    return pids


def test_a_hard_hang_is_cut_by_the_run_timeout_and_the_tree_killed(make_env):
    env = make_env(
        {
            "tests/test_hang.py": """
                import signal
                import subprocess

                def test_hang():
                    subprocess.Popen(["sleep", "1000"])  # a child of the hung test
                    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
                    while True:
                        pass
            """
        }
    )
    workdir = str(Path(env.sandbox.workdir).resolve())
    start = time.monotonic()
    report = env.run(timeout=3, per_test_timeout=1)
    assert time.monotonic() - start < 15
    assert report.status is Status.TIMEOUT
    assert report.exit_code is None
    assert "wall-clock" in report.detail
    assert report.tests["tests/test_hang.py::test_hang"].outcome == "error"
    deadline = time.monotonic() + 5  # kills land asynchronously
    while _processes_in(workdir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_in(workdir) == []


def test_an_exit_before_pytest_reports_is_not_a_pass(make_env):
    env = make_env(
        {
            "conftest.py": "import os\n\nos._exit(0)\n",
            "tests/test_fail.py": "def test_fail():\n    assert False\n",
        }
    )
    report = env.run()
    assert report.exit_code == 0
    assert report.status is Status.ERROR
    assert "ended before pytest reported" in report.detail


def test_an_exit_zero_in_the_middle_of_the_run_is_not_a_pass(make_env):
    env = make_env(
        {
            "tests/test_a.py": "def test_ok():\n    pass\n",
            "tests/test_b.py": "import os\n\n\ndef test_quit():\n    os._exit(0)\n",
            "tests/test_c.py": "def test_never_ran():\n    assert False\n",
        }
    )
    report = env.run()
    assert report.exit_code == 0
    assert report.status is Status.ERROR
    assert report.passing() == ["tests/test_a.py::test_ok"]
    assert "tests/test_c.py::test_never_ran" not in report.tests


def test_a_non_pytest_command_is_graded_by_its_exit_code(make_env):
    files = {
        "pkg/__init__.py": "",
        "pkg/calc.py": CALC.replace("return a + b", "return a - b"),
        "check.py": "import sys\nfrom pkg.calc import add\nsys.exit(0 if add(2, 2) == 4 else 3)\n",
    }
    env = make_env(files, test_cmd=f"{sys.executable} check.py")
    assert not env.runner.command.is_pytest
    report = env.run()
    assert report.status is Status.FAILED
    assert report.exit_code == 3
    assert report.tests == {}
    report = env.run({"pkg/calc.py": CALC.encode()})
    assert report.status is Status.PASSED
    assert report.exit_code == 0


def test_coverage_gives_the_lines_each_test_ran(make_env):
    env = make_env({"pkg/__init__.py": "", "pkg/calc.py": CALC, "tests/test_calc.py": TEST_CALC})
    report = env.run(coverage=True)
    assert report.status is Status.PASSED
    assert report.coverage is not None
    add_lines = set(report.coverage["tests/test_calc.py::test_add"]["pkg/calc.py"])
    mul_lines = set(report.coverage["tests/test_calc.py::test_mul"]["pkg/calc.py"])
    assert 2 in add_lines and not add_lines & {6, 7, 8, 9}
    assert {6, 7, 8, 9} <= mul_lines and 2 not in mul_lines
    assert 5 in report.coverage["tests/test_calc.py::test_add"]["tests/test_calc.py"]
    assert env.run().coverage is None  # only when asked for


def test_focused_runs_only_the_named_tests(make_env):
    buggy = CALC.replace("return a + b", "return a - b")
    env = make_env({"pkg/__init__.py": "", "pkg/calc.py": buggy, "tests/test_calc.py": TEST_CALC})
    report = env.run(tests=["tests/test_calc.py::test_mul"])
    assert report.status is Status.PASSED
    assert list(report.tests) == ["tests/test_calc.py::test_mul"]
