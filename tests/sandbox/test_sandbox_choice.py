"""Which program a `--test-cmd` starts, for the sandbox choice: a host path outside the project
(a virtualenv elsewhere on the machine) is something only the local sandbox can run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import BUGGY, write_tree
from treefix.errors import UsageError
from treefix.sandbox.backends import choose_sandbox, host_program
from treefix.workspace.snapshot import snapshot


@pytest.fixture
def project(tmp_path: Path):
    return snapshot(write_tree(tmp_path / "proj", BUGGY))


def test_a_host_venv_outside_the_project_is_a_host_program(project, tmp_path: Path):
    venv_python = str(tmp_path / "venvs/old/bin/python")
    assert host_program(project, f"{venv_python} -m pytest -q") == venv_python
    assert host_program(project, f"env PYTHONHASHSEED=0 {venv_python} -m pytest") == venv_python
    assert host_program(project, f"FOO=1 {venv_python} -m pytest") == venv_python
    assert host_program(project, "../elsewhere/bin/python -m pytest") == str(
        Path(project.root).parent / "elsewhere/bin/python"
    )


def test_commands_a_container_can_run_are_not(project):
    assert host_program(project, None) is None
    assert host_program(project, "python -m pytest") is None  # looked up on the sandbox's PATH
    assert host_program(project, "pytest -q tests") is None
    assert host_program(project, ".venv/bin/python -m pytest") is None  # inside the project
    assert host_program(project, f"{project.root}/venv/bin/python -m pytest") is None
    assert host_program(project, "python -c 'unbalanced") is None  # not ours to judge


def test_docker_named_with_a_host_interpreter_is_refused_up_front(project, monkeypatch):
    from treefix.sandbox import docker_backend

    # the engine answering is not what this test is about: the refusal comes before any run
    monkeypatch.setattr(docker_backend.BACKEND, "probe", lambda: (True, "engine up"))
    with pytest.raises(UsageError) as err:
        choose_sandbox("docker", project, None, print, f"{sys.executable} -m pytest")
    text = str(err.value)
    assert sys.executable in text and "--sandbox local" in text and "\n" not in text
    assert err.value.exit_code == 2


def test_auto_passes_over_docker_for_a_host_interpreter_and_says_why(project, monkeypatch):
    from treefix.sandbox import docker_backend

    monkeypatch.setattr(docker_backend.BACKEND, "available", lambda p, i: (True, ""))
    said: list[str] = []
    kind, image = choose_sandbox("auto", project, None, said.append, f"{sys.executable} -m pytest")
    assert (kind, image) == ("local", None)
    assert said and said[0].startswith("sandbox: local (the test command runs ")
    assert sys.executable in said[0] and "which docker cannot run" in said[0]
    # with a command the image has, auto still prefers the container
    assert choose_sandbox("auto", project, None, said.append, "python -m pytest")[0] == "docker"
