"""The run folder: .treefix/runs/<id>/ with report.json, trajectory.jsonl and fix.patch."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from treefix.workspace.snapshot import Project


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def _exclude_in_git(project: Project) -> None:
    """Keep run folders out of `git status` without touching the user's .gitignore."""
    if project.git_dir is None:
        return
    exclude = project.git_dir / "info" / "exclude"
    try:
        text = exclude.read_text() if exclude.exists() else ""
        if any(
            line.strip() in (".treefix/", ".treefix", "/.treefix/") for line in text.splitlines()
        ):
            return
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with open(exclude, "a") as fh:
            fh.write(("" if text.endswith("\n") or not text else "\n") + ".treefix/\n")
    except OSError:
        pass


class RunFolder:
    def __init__(self, project: Project, run_id: str | None = None):
        self.id = run_id or new_run_id()
        self.path = project.root / ".treefix" / "runs" / self.id
        self.path.mkdir(parents=True, exist_ok=True)
        _exclude_in_git(project)
        self._trajectory = open(self.path / "trajectory.jsonl", "a", encoding="utf-8")  # noqa: SIM115

    def trajectory(self, record: dict) -> None:
        self._trajectory.write(json.dumps(record) + "\n")
        self._trajectory.flush()

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        return target

    def close(self) -> None:
        self._trajectory.close()
