"""After a run that wrote into the scratch copy, only what it touched is put back: the rest of
the tree keeps its files (same inode), and the copy equals a fresh one."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from tests.conftest import write_tree
from treefix.protocols import ExecRequest
from treefix.sandbox.isolation import detect
from treefix.sandbox.local import LocalSandbox
from treefix.workspace.snapshot import snapshot


def _inodes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.lstat().st_ino for p in root.rglob("*") if not p.is_dir()}


def test_a_run_that_writes_files_costs_a_resync_of_those_files_only(tmp_path):
    files = {f"pkg/m{i}.py": f"X = {i}\n" for i in range(200)}
    files["data/config.json"] = '{"a": 1}\n'
    project = snapshot(write_tree(tmp_path / "proj", files))
    # without the filesystem lockdown (no user namespaces) a run writes into the copy itself
    sb = LocalSandbox(project, isolation=replace(detect(), filesystem=False))
    try:
        work = Path(sb.workdir)
        before = _inodes(work)
        script = (
            "echo changed > data/config.json; rm pkg/m3.py; mkdir -p out/deep; echo x > out/deep/f;"
            " echo y > pkg/new.py; ln -s / pkg/escape"
        )
        res = sb.execute(
            {"pkg/m5.py": b"X = 'candidate'\n"}, ExecRequest(["sh", "-c", script], {}, 30)
        )
        assert res.exit_code == 0, res.stderr
        after = _inodes(work)
        assert set(after) == set(before)  # the run's own files and folders are gone
        assert not (work / "out").exists() and not (work / "pkg/escape").is_symlink()
        assert (work / "data/config.json").read_text() == '{"a": 1}\n'
        assert (work / "pkg/m3.py").read_text() == "X = 3\n"
        assert (work / "pkg/m5.py").read_text() == "X = 5\n"
        recopied = {n for n in before if before[n] != after[n]}
        # the candidate's file, the two the run changed: not the other 198
        assert recopied <= {"pkg/m5.py", "pkg/m3.py", "data/config.json"}, recopied
        assert os.listdir(work / "pkg") and len(after) == 201
    finally:
        sb.close()
