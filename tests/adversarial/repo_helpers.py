"""Helpers for the repository-state and fault cases (15-30): tiny projects, the CLI in-process and
as the installed console script, and a user tree dirty in every way git knows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from typer.testing import CliRunner

from tests.adversarial.host import TAG_VAR, HostState, assert_unchanged
from tests.conftest import BUGGY, git, init_repo, write_tree
from treefix.cli.app import app

# one worker, small budgets: every repair of BUGGY takes 2-3 s
FAST = ["--sandbox", "local", "--workers", "1", "--max-evals", "40", "--time-limit", "60"]
BUGGY_LINE = "    if len(prices) > discount_from:\n"
FIXED_LINE = "    if len(prices) >= discount_from:\n"
SLOW_TEST = {"tests/test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(3)\n"}


def invoke(path: Path | str, *args: str, fast: bool = True):
    """`treefix repair ARGS -- PATH` in-process; (result, report or None). The path goes after `--`
    so one starting with a dash is a path, not an option."""
    argv = ["repair", *(FAST if fast else []), "--format", "json", *args, "--", str(path)]
    result = CliRunner().invoke(app, argv)
    out = result.stdout.strip()
    report = json.loads(out) if out.startswith("{") else None
    return result, report


def one_error_line(result, *words: str) -> str:
    """The run failed with one `treefix: error:` line naming `words`, and no traceback."""
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("treefix: error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    text = " ".join(result.stderr.split())  # rich wraps at the console width
    for w in words:
        assert w in text, text
    return errors[0]


def script() -> str:
    exe = Path(sys.executable).parent / "treefix"
    assert exe.exists(), "the console script is installed with the package"
    return str(exe)


def spawn(path: Path, *args: str, tag: str, tmpdir: Path, env: dict | None = None, argv0=None):
    """The installed console script as a child process, tagged, with its own TMPDIR."""
    full_env = {**os.environ, TAG_VAR: tag, "TMPDIR": str(tmpdir), **(env or {})}
    return subprocess.Popen(
        [*(argv0 or [script()]), "repair", *args, "--", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )


def sandboxed_pids(scratch: Path) -> list[int]:
    """Processes whose working directory is a scratch copy under `scratch` (a private TMPDIR)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                continue
            if cwd.startswith(str(scratch)) and "/project" in cwd:
                pids.append(int(entry))
    return pids


def messy(root: Path, extra: dict[str, str] | None = None) -> Path:
    """BUGGY as a repo with every kind of user state: staged, unstaged, a file both staged and
    modified on top, untracked, ignored (file and folder), a stash entry, a second branch."""
    init_repo(
        write_tree(
            root, {**BUGGY, **(extra or {}), ".gitignore": "*.log\nbuild/\n", "notes.md": "v1\n"}
        )
    )
    git(root, "branch", "feature")
    (root / "notes.md").write_text("stashed\n")
    git(root, "stash", "-q")
    (root / "shop/__init__.py").write_text("# staged\n")
    git(root, "add", "shop/__init__.py")
    (root / "notes.md").write_text("v2 staged\n")
    git(root, "add", "notes.md")
    (root / "notes.md").write_text("v3 unstaged on top of the staged v2\n")
    cart = (root / "shop/cart.py").read_text()
    (root / "shop/cart.py").write_text("# unstaged comment\n" + cart)
    (root / "scratch.py").write_text("S = 1\n")
    (root / "run.log").write_text("ignored\n")
    (root / "build").mkdir()
    (root / "build/out.bin").write_bytes(b"\0\1\2ignored")
    return root


def private_tmp(tmp_path: Path, monkeypatch) -> Path:
    """A TMPDIR of this test's own: treefix's scratch copies go there, and HostState's temp-dir
    check looks only there (other jobs on the machine create treefix-* folders in /tmp)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def isolate(tmp_path: Path, monkeypatch) -> None:
    """What every CLI-level adversarial test starts from: its own TMPDIR, git that cannot see
    repositories above tmp_path, and no model key or endpoint from the machine."""
    private_tmp(tmp_path, monkeypatch)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for k in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(k, raising=False)


def unchanged(before: HostState, after: HostState, *, containers: bool = False, **kw) -> None:
    """assert_unchanged; containers compared only for Docker runs (with the local sandbox no
    container is ours, and other jobs on this engine start and stop theirs meanwhile)."""
    if not containers:
        before, after = replace(before, containers=set()), replace(after, containers=set())
    assert_unchanged(before, after, **kw)


def split(root: Path) -> tuple[str, str]:
    """The staged and the unstaged diff: the user's split between index and tree."""
    return git(root, "diff", "--cached"), git(root, "diff")
