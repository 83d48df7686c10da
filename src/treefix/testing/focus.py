"""Focusing a test command on some tests, for every runner treefix knows: pytest with any
arguments (node ids replace the command's own selection, its options stay), `python -m unittest`
(test ids), and tox / nox wrapping either (the ids go through posargs, after `--`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from treefix.testing.command import TestCommand

# pytest options whose value is the next word (`-k expr`); any other word not starting with "-"
# is a selection (a path or a node id) that the focused ids replace
PYTEST_VALUE_OPTIONS = frozenset(
    [
        "-k",
        "-m",
        "-p",
        "-c",
        "-o",
        "-W",
        "-n",
        "-r",
        "--maxfail",
        "--deselect",
        "--ignore",
        "--ignore-glob",
        "--rootdir",
        "--confcutdir",
        "--basetemp",
        "--junitxml",
        "--junit-xml",
        "--cov",
        "--cov-report",
        "--cov-config",
        "--log-level",
        "--tb",
        "--durations",
        "--import-mode",
        "--override-ini",
        "--capture",
        "--dist",
        "--timeout",
        "--pyargs",
        "--config-file",
        "--log-file",
        "--log-cli-level",
        "--log-format",
        "--reruns",
        "--randomly-seed",
    ]
)
# `python -m unittest discover -s DIR` finds tests by ids relative to DIR: a focused run puts DIR
# on sys.path first, as discovery does
UNITTEST_FROM = (
    "import sys, unittest; sys.path.insert(0, sys.argv[1]); "
    "unittest.main(module=None, argv=['python -m unittest'] + sys.argv[2:])"
)


def _is_module(words: list[str], name: str) -> bool:
    return len(words) >= 3 and words[1] == "-m" and words[2] == name


def _config_text(root: Path, names: tuple[str, ...]) -> str:
    out = []
    for name in names:
        try:
            out.append((root / name).read_text(errors="replace"))
        except OSError:
            continue
    return "\n".join(out)


def wrapped_runner(root: Path, words: list[str]) -> str:
    """The runner of a `--test-cmd` that is not plain pytest: "unittest", "tox:pytest",
    "nox:unittest"..., or "" when treefix cannot focus it."""
    if _is_module(words, "unittest"):
        return "unittest"
    exe = Path(words[0]).name
    tool = next((t for t in ("tox", "nox") if exe == t or _is_module(words, t)), "")
    if not tool:
        return ""
    # the tests reach the inner runner only through posargs: look for them in its config
    if tool == "tox":
        text = _config_text(root, ("tox.ini", "setup.cfg", "pyproject.toml"))
        passes = "{posargs" in text
    else:
        text = _config_text(root, ("noxfile.py",))
        passes = "session.posargs" in text
    if not passes:
        return ""
    if re.search(r"\bpy\.?test\b", text):
        return f"{tool}:pytest"
    if re.search(r"\bunittest\b", text):
        return f"{tool}:unittest"
    return ""


def pytest_options(args: list[str]) -> list[str]:
    """The arguments without the selection (paths, node ids)."""
    out: list[str] = []
    takes_value = False
    for word in args:
        if takes_value:
            out.append(word)
            takes_value = False
        elif word.startswith("-"):
            out.append(word)
            takes_value = word in PYTEST_VALUE_OPTIONS
        # else: a path or node id of the command's own selection
    return out


def _unittest(argv: list[str], tests: list[str] | None, extra: list[str]) -> list[str]:
    head, rest = argv[:3], argv[3:]
    if not tests:  # discover's options follow `discover`: -v goes last
        return [*argv, *[e for e in extra if e not in rest]]
    start = ""
    if rest and rest[0] == "discover":
        opts = rest[1:]
        top = any(w in ("-t", "--top-level-directory") for w in opts)
        for flag, value in zip(opts, [*opts[1:], ""], strict=True):
            if flag in ("-s", "--start-directory"):
                start = value
        if not start and opts and not opts[0].startswith("-"):
            start = opts[0]
        if top or start in ("", "."):
            start = ""
        flags = [w for w in opts if w in ("-v", "--verbose", "-f", "--failfast", "-b", "--buffer")]
    else:
        flags = [w for w in rest if w.startswith("-")]
    flags += [e for e in extra if e not in flags]
    if start:
        return [argv[0], "-c", UNITTEST_FROM, start, *flags, *tests]
    return [*head, *flags, *tests]


def _posargs(argv: list[str], inner: str, tests: list[str] | None, extra: list[str]) -> list[str]:
    cut = argv.index("--") if "--" in argv else len(argv)
    before, after = argv[:cut], argv[cut + 1 :]
    if not tests:
        return [*before, "--", *after, *extra]
    kept = pytest_options(after) if inner == "pytest" else [w for w in after if w.startswith("-")]
    return [*before, "--", *kept, *extra, *tests]


def focus_argv(cmd: TestCommand, tests: list[str] | None, extra: list[str]) -> list[str]:
    argv = list(cmd.argv)
    if cmd.runner == "pytest":
        rest = argv[3:]
        return [*argv[:3], *extra, *(pytest_options(rest) + tests if tests else rest)]
    if cmd.runner == "unittest":
        return _unittest(argv, tests, extra)
    if ":" in cmd.runner:
        return _posargs(argv, cmd.inner, tests, extra)
    return argv
