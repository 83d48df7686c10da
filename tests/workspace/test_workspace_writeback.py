from __future__ import annotations

import os
from pathlib import Path

import pytest

from treefix.errors import WriteBackRefused
from treefix.types import Edit, ProgramState
from treefix.workspace.apply import apply_fix
from treefix.workspace.snapshot import snapshot


def _project(root: Path, files: dict[str, str]):
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def _fix(project, path: str, old: str, new: str) -> ProgramState:
    source = project.sources[path]
    start = source.index(old.encode())
    return ProgramState(project.sources).derive([Edit(path, start, start + len(old), new)])


@pytest.fixture(autouse=True)
def _no_enclosing_repo(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def test_the_fix_is_written_and_the_mode_kept(tmp_path):
    root = _project(tmp_path / "p", {"tool.py": "print(1 - 1)\n", "other.py": "O = 1\n"})
    os.chmod(root / "tool.py", 0o754)
    project = snapshot(root)
    written = apply_fix(project, _fix(project, "tool.py", "1 - 1", "1 + 1"))
    assert written == ["tool.py"]
    assert (root / "tool.py").read_text() == "print(1 + 1)\n"
    assert (root / "tool.py").stat().st_mode & 0o7777 == 0o754
    assert (root / "other.py").read_text() == "O = 1\n"
    assert sorted(os.listdir(root)) == ["other.py", "tool.py"]  # no temp file left behind


def test_a_file_changed_since_the_snapshot_is_not_overwritten(tmp_path):
    root = _project(tmp_path / "p", {"a.py": "A = 1\n", "b.py": "B = 1\n"})
    project = snapshot(root)
    state = _fix(project, "a.py", "1", "2")
    state = state.derive([Edit("b.py", 4, 5, "2")])
    (root / "b.py").write_text("B = 'edited by the user meanwhile'\n")
    with pytest.raises(WriteBackRefused, match="b.py"):
        apply_fix(project, state)
    assert (root / "a.py").read_text() == "A = 1\n"  # nothing written, not even the fresh file
    assert (root / "b.py").read_text() == "B = 'edited by the user meanwhile'\n"


def test_a_symlinked_target_is_refused_and_nothing_is_written(tmp_path):
    root = _project(tmp_path / "p", {"a.py": "A = 1\n", "real.py": "R = 1\n"})
    os.symlink("real.py", root / "z_link.py")
    project = snapshot(root)
    assert "z_link.py" in project.sources
    state = _fix(project, "a.py", "1", "2").derive([Edit("z_link.py", 4, 5, "2")])
    with pytest.raises(WriteBackRefused, match="symlink"):
        apply_fix(project, state)
    assert (root / "a.py").read_text() == "A = 1\n"  # no half-applied fix
    assert (root / "real.py").read_text() == "R = 1\n"
    assert (root / "z_link.py").is_symlink()
