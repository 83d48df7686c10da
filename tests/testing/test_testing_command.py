from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from treefix.errors import UsageError
from treefix.testing.command import detect_test_command


def _project(tmp_path: Path, *names: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("def test_ok():\n    pass\n")
    return root


def test_default_is_pytest_with_the_running_interpreter(tmp_path):
    root = _project(tmp_path, "tests/test_a.py")
    cmd = detect_test_command(root, None)
    assert cmd.is_pytest
    assert cmd.argv == (sys.executable, "-m", "pytest")
    assert cmd.python == sys.executable
    assert cmd.focused(["tests/test_a.py::test_ok"]) == [
        sys.executable,
        "-m",
        "pytest",
        "tests/test_a.py::test_ok",
    ]


def test_default_prefers_the_projects_own_virtualenv(tmp_path):
    root = _project(tmp_path, "pkg/check_test.py")
    venv_python = root / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("#!/bin/sh\n")
    cmd = detect_test_command(root, None)
    assert cmd.argv == (str(venv_python), "-m", "pytest")


def test_pytest_forms_of_test_cmd_run_pytest_as_a_module(tmp_path):
    root = _project(tmp_path, "test_a.py")
    cmd = detect_test_command(root, "pytest -x tests")
    assert cmd.is_pytest
    assert cmd.argv == (sys.executable, "-m", "pytest", "-x", "tests")
    assert cmd.display == "pytest -x tests"

    cmd = detect_test_command(root, "python -m pytest -q")
    assert cmd.is_pytest
    assert cmd.argv[1:] == ("-m", "pytest", "-q")
    assert cmd.argv[0] == (shutil.which("python") or "python")


def test_a_non_pytest_command_runs_through_the_shell_and_whole(tmp_path):
    root = _project(tmp_path)  # no test files needed when the command is given
    cmd = detect_test_command(root, "make test && ./check.sh")
    assert not cmd.is_pytest
    assert cmd.argv == ("sh", "-c", "make test && ./check.sh")
    assert cmd.focused(["some::test"]) == ["sh", "-c", "make test && ./check.sh"]


@pytest.mark.parametrize("bad", ["", "   ", "pytest 'unclosed"])
def test_an_empty_or_unparseable_test_cmd_is_a_usage_error(tmp_path, bad):
    root = _project(tmp_path, "test_a.py")
    with pytest.raises(UsageError, match="test-cmd"):
        detect_test_command(root, bad)


def test_a_folder_without_tests_is_a_usage_error(tmp_path):
    root = _project(tmp_path, ".venv/lib/site/test_vendored.py", "node_modules/x/test_js.py")
    (root / "app.py").write_text("print('hi')\n")
    with pytest.raises(UsageError, match="no tests found"):
        detect_test_command(root, None)
