"""Which command runs the project's tests, and how it is wrapped so its exit code is read reliably."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from treefix.errors import UsageError
from treefix.testing.focus import focus_argv, wrapped_runner

_NOT_TESTS = frozenset({".venv", "venv", "node_modules", ".git", ".treefix", "__pycache__"})
PYTEST_CONFIGS = ("pytest.ini", "conftest.py", "tox.ini", "setup.cfg", "pyproject.toml")


@dataclass(frozen=True)
class TestCommand:
    """`runner`: what runs the tests, which decides how a run is focused and read:
    pytest (node ids, treefix's plugin), unittest (test ids, its verbose output), tox/nox wrapping
    one of them (`tox:pytest`, `nox:unittest`: ids through posargs), or "" (exit code only)."""

    __test__ = False
    argv: tuple[str, ...]
    is_pytest: bool
    display: str
    python: str = ""  # interpreter used for pytest runs
    runner: str = "pytest"

    @property
    def selects(self) -> bool:
        """Can a run be focused on some tests, with a result per test?"""
        return bool(self.runner)

    @property
    def inner(self) -> str:
        """The test runner itself: pytest, unittest or "" (tox/nox stripped)."""
        return self.runner.rpartition(":")[2]

    def focus_note(self) -> str:
        """For the header: how candidates are focused and graded."""
        return {
            "pytest": "focused by node id, per-test results from treefix's plugin",
            "unittest": "focused by test id, per-test results from unittest's verbose output",
            "tox:pytest": "focused through tox posargs, per-test results from JUnit",
            "nox:pytest": "focused through nox posargs, per-test results from JUnit",
            "tox:unittest": "focused through tox posargs, per-test results from unittest -v",
            "nox:unittest": "focused through nox posargs, per-test results from unittest -v",
        }.get(self.runner, "exit code only: this command cannot be focused or read per test")

    def focused(self, tests: list[str] | None, extra: list[str] | None = None) -> list[str]:
        """argv restricted to some tests; `extra`: arguments for the inner pytest (junit path,
        plugin) or unittest (-v)."""
        return focus_argv(self, tests, list(extra or []))


def project_python(root: Path) -> str:
    """The project's own virtualenv interpreter when it has one, else the one running treefix."""
    for name in (".venv", "venv", "env"):
        candidate = root / name / "bin" / "python"
        if candidate.exists():
            return str(candidate)
    return sys.executable


def _has_python_tests(root: Path) -> bool:
    # os.walk with pruning, not rglob: rglob descends into .git (10,000s of objects in a big
    # repo) and crashed when a background `git gc --auto` removed a folder mid-walk; os.walk
    # skips what vanishes.
    for _dir, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _NOT_TESTS]
        if any(fnmatch(f, "test_*.py") or fnmatch(f, "*_test.py") for f in filenames):
            return True
    return False


def detect_test_command(root: Path, test_cmd: str | None, python: str | None = None) -> TestCommand:
    """`python` is the interpreter as the sandbox sees it (default: the project's venv or ours)."""
    if test_cmd is not None:  # `--test-cmd ""` is a mistake to report, not a default
        try:
            words = shlex.split(test_cmd)
        except ValueError as exc:
            raise UsageError(f"--test-cmd cannot be parsed: {exc}") from None
        if not words:
            raise UsageError("--test-cmd is empty")
        if words[0] in ("pytest", "py.test") or words[1:3] == ["-m", "pytest"]:
            inside = python  # set when the sandbox has its own interpreter (Docker)
            if words[0] in ("pytest", "py.test"):
                words = [inside or project_python(root), "-m", "pytest", *words[1:]]
            # on the host, resolve the interpreter now; inside a container, its PATH decides
            exe = words[0] if inside else (shutil.which(words[0]) or words[0])
            return TestCommand(tuple([exe, *words[1:]]), True, test_cmd, python=exe)
        runner = wrapped_runner(root, words)
        if runner:
            return TestCommand(tuple(words), False, test_cmd, runner=runner)
        return TestCommand(("sh", "-c", test_cmd), False, test_cmd, runner="")
    if not _has_python_tests(root):
        raise UsageError(
            f"no tests found under {root} (no test_*.py files); pass --test-cmd to say how to run them"
        )
    python = python or project_python(root)
    return TestCommand((python, "-m", "pytest"), True, "python -m pytest", python=python)


MARKER_SCRIPT = '"$@"; rc=$?; printf "\\n%s=%d\\n" "$0" "$rc"'


def wrap_with_marker(argv: list[str], marker: str) -> list[str]:
    """SWE-Factory style: the harness itself prints the exit code after a per-run marker."""
    return ["sh", "-c", MARKER_SCRIPT, marker, *argv]
