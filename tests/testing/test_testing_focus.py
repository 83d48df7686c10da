"""Focused runs for every runner treefix knows: pytest with arguments, `python -m unittest`, and
tox / nox wrapping them; exit code only for the rest."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import write_tree
from treefix.cli.app import app
from treefix.testing.command import detect_test_command
from treefix.testing.results import parse_unittest

PY = sys.executable


def _cmd(tmp_path: Path, text: str, files: dict[str, str] | None = None):
    write_tree(tmp_path, files or {})
    return detect_test_command(tmp_path, text)


def test_pytest_node_ids_replace_the_commands_selection_and_keep_its_options(tmp_path):
    cmd = _cmd(tmp_path, "pytest -x tests/unit -k 'not slow' --maxfail 2")
    focused = cmd.focused(["tests/unit/test_a.py::test_b"])
    assert focused[1:] == [
        "-m", "pytest", "-x", "-k", "not slow", "--maxfail", "2", "tests/unit/test_a.py::test_b",
    ]  # fmt: skip
    assert cmd.focused(None)[3:] == ["-x", "tests/unit", "-k", "not slow", "--maxfail", "2"]
    assert cmd.focus_note().startswith("focused by node id")


def test_unittest_is_focused_by_test_id(tmp_path):
    cmd = _cmd(tmp_path, f"{PY} -m unittest -b pkg.tests")
    assert cmd.runner == "unittest" and cmd.selects
    ids = ["pkg.tests.test_a.TestX.test_y"]
    assert cmd.focused(ids, ["-v"]) == [PY, "-m", "unittest", "-b", "-v", *ids]
    assert cmd.focused(None, ["-v"]) == [PY, "-m", "unittest", "-b", "pkg.tests", "-v"]
    # discover from a folder: that folder comes first on sys.path, as discovery puts it
    found = _cmd(tmp_path, f"{PY} -m unittest discover -s tests")
    argv = found.focused(["test_a.TestX.test_y"], ["-v"])
    assert argv[:2] == [PY, "-c"] and argv[3:] == ["tests", "-v", "test_a.TestX.test_y"]


def test_tox_and_nox_are_focused_through_posargs_when_their_config_passes_them(tmp_path):
    tox = _cmd(
        tmp_path / "t",
        "tox -e py -- -q",
        {"tox.ini": "[testenv]\ncommands = pytest {posargs:tests}\n"},
    )
    assert tox.runner == "tox:pytest"
    assert tox.focused(["tests/test_a.py::test_b"], ["--junitxml=j.xml"]) == [
        "tox", "-e", "py", "--", "-q", "--junitxml=j.xml", "tests/test_a.py::test_b",
    ]  # fmt: skip
    nox_file = "import nox\n@nox.session\ndef tests(session):\n    session.run('python', '-m', 'unittest', *session.posargs)\n"
    nox = _cmd(tmp_path / "n", "nox -s tests", {"noxfile.py": nox_file})
    assert nox.runner == "nox:unittest"
    assert nox.focused(["a.T.test_x"], ["-v"]) == ["nox", "-s", "tests", "--", "-v", "a.T.test_x"]
    fixed = _cmd(tmp_path / "f", "tox -e py", {"tox.ini": "[testenv]\ncommands = pytest tests\n"})
    assert not fixed.selects and fixed.focused(["x"]) == ["sh", "-c", "tox -e py"]
    assert fixed.focus_note().startswith("exit code only")


def test_unittest_verbose_output_gives_one_verdict_per_test():
    text = (
        "test_ok (pkg.tests.test_a.TestX.test_ok) ... ok\n"
        "test_bad (pkg.tests.test_a.TestX.test_bad) ... FAIL\n"
        "test_old (pkg.tests.test_a.TestX) ... ERROR\n"
        "test_doc (pkg.tests.test_a.TestX.test_doc)\nSays what it checks ... skipped 'later'\n"
        "\n======================================================================\n"
        "FAIL: test_bad (pkg.tests.test_a.TestX.test_bad)\n"
        "----------------------------------------------------------------------\n"
        'Traceback (most recent call last):\n  File "pkg/tests/test_a.py", line 9, in test_bad\n'
        "AssertionError: 1 != 2\n\n"
        "======================================================================\n"
        "ERROR: test_old (pkg.tests.test_a.TestX)\n"
        "----------------------------------------------------------------------\n"
        "Traceback (most recent call last):\nZeroDivisionError: division by zero\n\n"
        "----------------------------------------------------------------------\nRan 4 tests in 0.001s\n"
    )
    out = parse_unittest(text)
    verdicts = {k: (v.outcome, v.message) for k, v in out.items()}
    assert verdicts == {
        "pkg.tests.test_a.TestX.test_ok": ("passed", ""),
        "pkg.tests.test_a.TestX.test_bad": ("failed", "AssertionError: 1 != 2"),
        "pkg.tests.test_a.TestX.test_old": ("error", "ZeroDivisionError: division by zero"),
        "pkg.tests.test_a.TestX.test_doc": ("skipped", ""),
    }


ARGS = ["--json", "--sandbox", "local", "--proposer", "mutation", "--workers", "2", "--seed", "0"]
ARGS += ["--max-evals", "40", "--time-limit", "150"]
CALC = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"
# unittest gives no coverage: the bug must show in a traceback frame of the source
MEAN = "def mean(xs):\n    return sum(xs) / (len(xs) - 1)\n"
UNIT = (
    "import unittest\nfrom pkg.calc import mean\n\n\nclass TestCalc(unittest.TestCase):\n"
    "    def test_one(self):\n        self.assertEqual(mean([4]), 4)\n\n"
    "    def test_zeros(self):\n        self.assertEqual(mean([0, 0]), 0)\n"
)


def _repair(proj: Path, test_cmd: str) -> dict:
    result = CliRunner().invoke(app, ["repair", str(proj), *ARGS, "--test-cmd", test_cmd])
    report = json.loads(result.stdout)
    report["_stderr"] = result.stderr
    return report


@pytest.mark.slow
def test_a_unittest_project_is_repaired_with_per_test_targets(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/calc.py": MEAN,
        "pkg/tests/__init__.py": "",
        "pkg/tests/test_calc.py": UNIT,
    }
    proj = write_tree(tmp_path / "proj", files)
    report = _repair(proj, f"{PY} -m unittest pkg.tests.test_calc")
    assert report.get("targets") == ["pkg.tests.test_calc.TestCalc.test_one"], report
    assert report["baseline"]["passed"] == 1
    assert report["status"] == "fixed", report["message"]
    assert "focused by test id" in report["_stderr"]


@pytest.mark.slow
def test_a_path_bearing_pytest_command_runs_only_the_focus_per_candidate(tmp_path):
    files = {
        "conftest.py": "",
        "pkg/__init__.py": "",
        "pkg/calc.py": CALC,
        "tests/unit/test_calc.py": "from pkg.calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        "tests/unit/test_slow.py": "import time\n\ndef test_slow():\n    time.sleep(1.5)\n",
    }
    proj = write_tree(tmp_path / "proj", files)
    report = _repair(proj, "pytest -x tests/unit")
    assert report.get("status") == "fixed", report
    # the 1.5 s test is not in the focus: a candidate that ran the whole selection would take it
    assert report["timings"]["candidate_run_max"] < 1.5 + report["limits"]["startup"], report[
        "timings"
    ]


def _wrapper(name: str) -> str:
    """tox or nox beside this interpreter (the dev extra installs both): skipped without it, but
    a failure under CI, which must run these tests."""
    found = shutil.which(name, path=str(Path(PY).parent))
    if found is None:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off"):
            pytest.fail(f"{name} is not installed (CI installs it with the dev extra)")
        pytest.skip(f"{name} is not installed")
    return found


@pytest.mark.slow
def test_a_nox_session_wrapping_pytest_is_focused_through_posargs(tmp_path):
    nox = _wrapper("nox")
    files = {
        "pkg/__init__.py": "",
        "pkg/calc.py": MEAN,
        "tests/test_calc.py": "from pkg.calc import mean\n\ndef test_one():\n    assert mean([4]) == 4\n\n"
        "def test_zeros():\n    assert mean([0, 0]) == 0\n",
        "noxfile.py": "import nox\n\n\n@nox.session(venv_backend='none')\ndef tests(session):\n"
        "    session.run('python', '-m', 'pytest', *session.posargs)\n",
    }
    proj = write_tree(tmp_path / "proj", files)
    report = _repair(proj, f"{nox} -s tests")
    assert report.get("targets") == ["tests/test_calc.py::test_one"], report
    assert report["status"] == "fixed"
    assert "focused through nox posargs" in report["_stderr"]


@pytest.mark.slow
def test_a_tox_env_wrapping_pytest_is_repaired_with_focused_runs(tmp_path):
    tox = _wrapper("tox")
    files = {
        "pkg/__init__.py": "",
        "pkg/calc.py": MEAN,
        "tests/test_calc.py": "from pkg.calc import mean\n\ndef test_one():\n    assert mean([4]) == 4\n\n"
        "def test_zeros():\n    assert mean([0, 0]) == 0\n",
        # the env reuses this interpreter's packages (pytest): nothing is downloaded
        "tox.ini": "[tox]\nenvlist = py\n\n[testenv]\nskip_install = true\nsitepackages = true\n"
        "commands = python -m pytest {posargs:tests}\n",
    }
    proj = write_tree(tmp_path / "proj", files)
    report = _repair(proj, f"{tox} -e py -q")
    assert report.get("targets") == ["tests/test_calc.py::test_one"], report
    assert report["status"] == "fixed", report["message"]
    assert "focused through tox posargs" in report["_stderr"]
    assert "len(xs)" in report["fix"]["patch"]
