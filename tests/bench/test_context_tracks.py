"""The real-bug track's oracle: which lines of a developer's fix a prompt must hold (brand-new
code, docstrings, imports and moved lines need no context), its answers match one place, and
run-specific text in a failure message (paths, mock ids) does not make it miss."""

from __future__ import annotations

import difflib
import importlib.util
import sys
from pathlib import Path

from treefix.propose.blocks import blocks_to_edits, parse_response
from treefix.types import ProgramState

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
_spec = importlib.util.spec_from_file_location("context_tracks", ROOT / "bench/context_tracks.py")
tracks = importlib.util.module_from_spec(_spec)
sys.modules["context_tracks"] = tracks
_spec.loader.exec_module(tracks)
from context_oracle import _normal, parse_patch  # noqa: E402

BUGGY = '''\
import os


class Hooks:
    """Runs hooks."""

    def run(self, path):
        """Run one hook.

        Returns its exit status.
        """
        proc = start(path)
        return proc.wait()

    def other(self):
        x = 1
        return x
'''


def _need(tmp_path: Path, fixed: str) -> list[list[str]]:
    (tmp_path / "hooks.py").write_text(BUGGY)
    patch = "".join(
        difflib.unified_diff(
            BUGGY.splitlines(keepends=True),
            fixed.splitlines(keepends=True),
            "a/hooks.py",
            "b/hooks.py",
            n=1,
        )
    )
    hunks = parse_patch(patch)
    return tracks.code_lines(tmp_path, hunks, tracks._starts(tmp_path, hunks))


def test_only_lines_of_code_the_fix_changes_must_be_in_a_prompt(tmp_path: Path):
    fixed = (
        BUGGY.replace("Returns its exit status.", "Raises when it fails.")  # docstring
        .replace("import os\n", "import os\nimport sys\n")  # an import
        .replace(
            "        return proc.wait()", "        if proc.wait():\n            raise Failed()"
        )
        .replace(
            "        x = 1\n        return x\n", "        x = 1\n        x += 1\n        return x\n"
        )
        + "\n\nclass Failed(Exception):\n    pass\n"  # brand-new code
    )
    need = _need(tmp_path, fixed)
    assert [n for n in need if n] == [["return proc.wait()"], ["x = 1"]]
    assert [] in need  # the import, docstring and new-class hunks need nothing


def test_a_fix_of_only_new_code_still_needs_one_place(tmp_path: Path):
    need = _need(tmp_path, BUGGY + "\n\nclass Failed(Exception):\n    pass\n")
    assert need == [["return x"]]  # the line its hunk sits by: something must be seen


def test_moved_lines_are_not_counted(tmp_path: Path):
    fixed = BUGGY.replace(
        "        proc = start(path)\n        return proc.wait()",
        "        try:\n            proc = start(path)\n        finally:\n            pass\n"
        "        return proc.wait() or 0",
    )
    assert _need(tmp_path, fixed) == [["return proc.wait()"]]  # not the reindented line


def test_the_answer_is_widened_until_it_matches_one_place(tmp_path: Path):
    src = "def a():\n    x = 1\n    return x\n\n\ndef b():\n    x = 1\n    return x\n"
    (tmp_path / "m.py").write_text(src)
    fixed = src.replace("def b():\n    x = 1", "def b():\n    x = 2")
    patch = "".join(
        difflib.unified_diff(
            src.splitlines(keepends=True), fixed.splitlines(keepends=True), "a/m.py", "b/m.py", n=0
        )
    )
    hunks = parse_patch(patch)
    assert hunks[0].old == ["    x = 1"]  # as the diff has it: matches in a() and b()
    wide = tracks._unique(tmp_path, hunks, tracks._starts(tmp_path, hunks))
    from context_oracle import blocks

    state = ProgramState({"m.py": src.encode()})
    _, parsed = parse_response("EXPLANATION: x\n\n" + blocks(wide))
    assert state.derive(blocks_to_edits(state, parsed)).read("m.py").decode() == fixed


def test_paths_and_mock_ids_in_a_message_compare_as_placeholders():
    ours = "AssertionError: assert '/tmp/a/proj/hooks/pre.py' == '/'"
    theirs = "AssertionError: assert '/tmp/treefix...s/pre.py' == '/'"
    assert _normal(ours) == _normal(theirs)
    assert _normal("call(type=<MagicMock id='140472161400592'>)") == _normal(
        "call(type=<MagicMock id='99'>)"
    )
    assert _normal("assert 'abc' == 'abd'") != _normal("assert 'abc' == 'abe'")
