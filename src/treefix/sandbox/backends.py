"""Sandbox backends: the registry `--sandbox`, config validation, `doctor` and the run read, and
the selection every command shares (`auto`: the most preferred backend usable for this project).

A new backend is one module with an object following `Backend`, plus one `SANDBOXES.register`
line below.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from treefix.errors import SandboxUnavailable, UsageError
from treefix.markup import escape
from treefix.registry import Entry, Registry


class Backend(Protocol):
    python: str | None  # the interpreter inside the sandbox (None: detect it on the host)
    auto_rank: int  # `auto` tries backends from the lowest rank up
    remedy: str  # what to do when it is asked for by name and unavailable

    def probe(self) -> tuple[bool, str]:
        """Usable on this machine at all (cheap; never raises): (ok, one line)."""
        ...

    def available(self, project, image: str | None) -> tuple[bool, str]:
        """Usable for this project right now, for `auto`: (ok, why not)."""
        ...

    def image(self, project, image: str | None) -> str | None:
        """The image the sandboxes start from (None for backends without one)."""
        ...

    def limits(self, options: object | None) -> Any:
        """The backend's limits object from the sandbox_* settings (unset: its defaults)."""
        ...

    def create(self, project, n: int, run_id: str, image: str | None, limits: Any) -> list:
        """n sandboxes (treefix.protocols.Sandbox); none left behind when one fails."""
        ...

    def doctor(self) -> list[tuple[str, bool, str]]:
        """Rows for `treefix doctor`: (check, ok, detail)."""
        ...


SANDBOXES: Registry[Entry] = Registry("sandbox backend", "--sandbox", modes=("auto",))
SANDBOXES.register(
    Entry("local", "treefix.sandbox.local_backend:BACKEND", "a scratch copy per worker")
)
SANDBOXES.register(
    Entry(
        "docker",
        "treefix.sandbox.docker_backend:BACKEND",
        "a container per worker from the project's image",
        extra="docker",
    )
)


_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def backend(name: str) -> Backend:
    return SANDBOXES[SANDBOXES.check(name)].load()


def host_program(project, test_cmd: str | None) -> str | None:
    """The program a `--test-cmd` starts when it is a host path outside the project (a virtualenv's
    python elsewhere on this machine), else None. A backend with its own interpreter (a
    container) has no such path: the run would end in 'test command not found'."""
    if not test_cmd:
        return None
    try:
        words = shlex.split(test_cmd)
    except ValueError:
        return None
    while words and (words[0] == "env" or _ASSIGNMENT.match(words[0])):
        words.pop(0)  # `env VAR=x prog ...`, `VAR=x prog ...`
    if not words or "/" not in words[0]:
        return None  # a name looked up on PATH: the sandbox's own
    # not resolved: a venv's python is a symlink to its base interpreter, and the venv is the point
    root = Path(os.path.abspath(project.root))
    program = Path(os.path.normpath(root / os.path.expanduser(words[0])))
    return None if program.is_relative_to(root) else str(program)


def choose_sandbox(
    kind: str,
    project,
    image: str | None,
    message: Callable[[str], None],
    test_cmd: str | None = None,
) -> tuple[str, str | None]:
    """(backend name, image). A named backend must probe ok; `auto` takes the most preferred one
    usable for this project and says why it passed over a preferred one."""
    SANDBOXES.check(kind)
    host = host_program(project, test_cmd)
    if kind != "auto":
        chosen = backend(kind)
        ok, why = chosen.probe()
        if not ok:
            raise SandboxUnavailable(f"--sandbox {kind}: {why}; {chosen.remedy}")
        if host and chosen.python is not None:
            raise UsageError(
                f"--sandbox {kind} cannot run the test command: {host} is a path on this host, "
                f"outside the project; use --sandbox local, or a command the image has "
                f"(e.g. `{chosen.python} -m pytest`)"
            )
        return kind, chosen.image(project, image)
    ranked = sorted(SANDBOXES.names(), key=lambda name: backend(name).auto_rank)
    passed_over = ""
    for name in ranked:
        if host and backend(name).python is not None:
            passed_over = passed_over or (
                f"the test command runs {host}, a path on this host outside the project, "
                f"which {name} cannot run"
            )
            continue
        ok, why = backend(name).available(project, image)
        if ok:
            if passed_over:
                message(f"sandbox: {name} ({escape(passed_over)})")
            return name, backend(name).image(project, image)
        passed_over = passed_over or why
    raise SandboxUnavailable(f"no sandbox backend is usable: {passed_over}")


def make_sandboxes(
    kind: str, project, n: int, run_id: str, image: str | None, options: object | None = None
) -> list:
    """n sandboxes of one backend, limited by the sandbox_* settings of `options`."""
    chosen = backend(kind)
    return chosen.create(project, n, run_id, image, chosen.limits(options))
