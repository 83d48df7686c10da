"""The packages of a project's own virtualenv (`.venv/`, `venv/` or `env/` inside it), pinned.

The local sandbox runs the tests with that venv's interpreter (testing/command.project_python),
so it is what the tests are known to pass with. A project image built from it installs the same
distributions at the same versions, instead of every requirement file the project keeps (docs,
benchmarks, release tooling: sdists that do not build offline). Read from the venv's metadata
files, without running its interpreter."""

from __future__ import annotations

import json
import re
from email.parser import HeaderParser
from pathlib import Path

VENV_FOLDERS = (".venv", "venv", "env")  # the folders project_python looks in, same order
# the image's own venv brings its pip; the project itself is in /work/project, not installed
_SKIP = frozenset({"pip"})


def project_venv(root: Path) -> Path | None:
    """The in-tree virtualenv the local sandbox would run the tests with, or None."""
    for name in VENV_FOLDERS:
        venv = root / name
        if (venv / "pyvenv.cfg").is_file() and (venv / "bin" / "python").exists():
            return venv
    return None


def venv_python(venv: Path) -> str:
    """The venv's "major.minor" from its pyvenv.cfg (venv writes `version`, uv `version_info`)."""
    try:
        text = (venv / "pyvenv.cfg").read_text(errors="replace")
    except OSError:
        return ""
    found = re.search(r"^\s*version(?:_info)?\s*=\s*(\d+)\.(\d+)", text, re.MULTILINE)
    return f"{found.group(1)}.{found.group(2)}" if found else ""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_from_a_folder(dist: Path) -> bool:
    """pip's record of a local folder install (`pip install -e .` or `pip install .`): the
    project itself, or a checkout no index has."""
    try:
        data = json.loads((dist / "direct_url.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "dir_info" in data


def pinned_requirements(venv: Path) -> list[str]:
    """`name==version` for every distribution in the venv's site-packages but pip and the ones
    installed from a local folder, sorted by name."""
    pins: dict[str, str] = {}
    for site in sorted(venv.glob("lib/python*/site-packages")):
        for dist in sorted([*site.glob("*.dist-info"), *site.glob("*.egg-info")]):
            meta = dist / ("METADATA" if dist.suffix == ".dist-info" else "PKG-INFO")
            if not meta.is_file():
                continue  # an egg-info file (not folder) of `setup.py develop`: the project
            try:
                headers = HeaderParser().parsestr(meta.read_text(errors="replace"))
            except OSError:
                continue
            name, version = headers.get("Name", ""), headers.get("Version", "")
            if not name or not version or _normal(name) in _SKIP:
                continue
            if _installed_from_a_folder(dist):
                continue
            pins[_normal(name)] = f"{name}=={version}"
    return [pins[k] for k in sorted(pins)]
