"""The corpus' data: one `Bug` per manifest line, where built material lives, and bug.json I/O.

A manifest line (bench/real/manifests/*.jsonl) names a bug by where it comes from, never by its
code: the built snapshot, the developer's fix and the environments live under bench/real/.work/,
which is not committed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFESTS = HERE / "manifests"
WORK = HERE / ".work"
VALIDATED = HERE / "validated.json"
RESULTS = HERE / "results"


@dataclass
class Bug:
    id: str
    source: str  # refactory | bugsinpy | fixture | ...
    kind: str  # program | repo
    origin: dict[str, Any]  # repo + buggy/fixed commits, or dataset archive + paths
    python: str  # "3.8": the interpreter's minor version
    deps: list[str]  # pip requirement strings, pinned
    test_cmd: str  # "{python} -m pytest ...": {python} becomes the env's interpreter
    failing_tests: list[str]  # pytest node ids that fail on the buggy snapshot
    changed_files: list[str]  # files the developer's fix changes (paths inside the repo)
    skip: str = ""  # why the bug is not built (kept in the manifest so the choice is visible)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Bug:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_manifests(paths: list[Path] | None = None) -> list[Bug]:
    files = paths or sorted(MANIFESTS.glob("*.jsonl"))
    bugs: list[Bug] = []
    seen: set[str] = set()
    for path in files:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            bug = Bug.from_dict(json.loads(line))
            if bug.id in seen:
                raise SystemExit(f"{path}:{n}: duplicate bug id {bug.id}")
            seen.add(bug.id)
            bugs.append(bug)
    return bugs


def write_manifest(path: Path, bugs: list[Bug]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(b.to_dict(), sort_keys=True) + "\n" for b in bugs))


@dataclass
class Built:
    """A built bug: bug.json beside repo/ (the buggy snapshot) and fix/ (the developer's files)."""

    bug: Bug
    dir: Path
    test_cmd: str  # with the env's interpreter filled in
    env: str  # the env folder

    @property
    def repo(self) -> Path:
        return self.dir / "repo"

    @property
    def fix(self) -> Path:
        return self.dir / "fix"

    def save(self) -> None:
        data = {"bug": self.bug.to_dict(), "test_cmd": self.test_cmd, "env": self.env}
        (self.dir / "bug.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, bug_dir: Path) -> Built:
        data = json.loads((bug_dir / "bug.json").read_text())
        return cls(Bug.from_dict(data["bug"]), bug_dir, data["test_cmd"], data["env"])


def built_bugs(work: Path) -> list[Built]:
    root = work / "bugs"
    if not root.is_dir():
        return []
    return [Built.load(d) for d in sorted(root.iterdir()) if (d / "bug.json").is_file()]


def is_test_file(path: str) -> bool:
    """Test code by the usual pytest layout: a tests/test folder, test_*.py, *_test.py, conftest."""
    parts = Path(path).parts
    name = parts[-1] if parts else ""
    return (
        any(p in ("test", "tests", "testing") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )
