"""One virtualenv per project and era (interpreter + pinned deps), shared by the bugs that ask for it.

The interpreter comes from pyenv (`~/.pyenv/versions/3.8.*`) or the system (`python3.8`); the deps
from PyPI through pip. A finished env holds `.treefix-env.json` (what was installed); a failed one
holds `.treefix-env-failed` (pip's last lines), so a rebuild does not retry it unless --retry-envs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from corpus import Bug

PYENV = Path.home() / ".pyenv" / "versions"
OK = ".treefix-env.json"
FAILED = ".treefix-env-failed"


@dataclass
class EnvResult:
    path: Path
    python: Path
    error: str = ""  # why the env could not be made, "" when it is ready


def env_name(bug: Bug) -> str:
    project = (bug.origin.get("repo") or bug.source).split("/")[-1].lower()
    if bug.kind == "program":
        project = "programs"
    digest = hashlib.sha256(json.dumps([bug.python, bug.deps]).encode()).hexdigest()[:8]
    return f"{project}-py{bug.python}-{digest}"


def find_interpreter(version: str) -> Path | None:
    """The newest pyenv build of a minor version, else pythonX.Y on PATH."""
    found = sorted(
        PYENV.glob(f"{version}.*"), key=lambda p: [int(x) for x in p.name.split(".") if x.isdigit()]
    )
    for cand in reversed(found):
        exe = cand / "bin" / "python"
        if exe.is_file():
            return exe
    which = shutil.which(f"python{version}")
    return Path(which) if which else None


def ensure_env(bug: Bug, envs_root: Path, retry: bool = False) -> EnvResult:
    if bug.python == "current":  # local fixtures (tests): this interpreter, nothing installed
        return EnvResult(Path(sys.prefix), Path(sys.executable))
    path = envs_root / env_name(bug)
    python = path / "bin" / "python"
    if (path / OK).is_file():
        return EnvResult(path, python)
    if (path / FAILED).is_file() and not retry:
        return EnvResult(path, python, (path / FAILED).read_text().strip())
    shutil.rmtree(path, ignore_errors=True)
    base = find_interpreter(bug.python)
    if base is None:
        return _fail(path, python, f"no Python {bug.python} interpreter on this machine")
    done = subprocess.run([str(base), "-m", "venv", str(path)], capture_output=True, text=True)
    if done.returncode:
        return _fail(path, python, f"venv failed: {done.stderr.strip()[-500:]}")
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # old pips cannot read newer metadata of some sdists; setuptools<58 keeps `use_2to3` packages
    for step in (["pip<24.1", "setuptools<58", "wheel"], bug.deps):
        if not step:
            continue
        done = subprocess.run([*pip, *step], capture_output=True, text=True, env=pypi_only_env())
        if done.returncode:
            tail = (done.stderr or done.stdout).strip().splitlines()[-6:]
            return _fail(path, python, f"pip install failed: {' | '.join(tail)}"[-900:])
    (path / OK).write_text(json.dumps({"python": bug.python, "base": str(base), "deps": bug.deps}))
    return EnvResult(path, python)


def pypi_only_env() -> dict[str, str]:
    """PyPI alone: a machine's extra local indexes lack the Requires-Python data old pips need."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL")
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def _fail(path: Path, python: Path, reason: str) -> EnvResult:
    path.mkdir(parents=True, exist_ok=True)
    (path / FAILED).write_text(reason + "\n")
    return EnvResult(path, python, reason)
