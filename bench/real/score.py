"""Scores of one treefix repair against the developer's fix.

- plausible: treefix's patch, applied to a fresh copy of the buggy snapshot, makes every test of
  the bug's selection pass (the targets and the rest), and touches no test file;
- AST-equal: every file the patch or the developer changed reads the same after `ast.dump` of the
  parsed source (formatting and comments do not count); a lower bound of correctness;
- FL rank: the 1-based position, in the report's `localization` list, of the first entry on a line
  the developer's fix changes (difflib between buggy and fixed file; for a pure insertion the lines
  just before and after count), None when none of them is listed.
- FL rank by statement: the same, but an entry counts when a developer line lies within the
  statement the entry names (its whole extent, or a compound statement's header lines): the
  localiser ranks statements keyed by their first line, so a fix on line 2 of a 3-line call is
  found at that call's rank.
"""

from __future__ import annotations

import ast
import difflib
import re
import subprocess
from pathlib import Path
from typing import Any

from corpus import is_test_file


def changed_lines(buggy: str, fixed: str) -> set[int]:
    """1-based lines of the buggy file that the fix replaces or deletes, or inserts next to."""
    a, b = buggy.splitlines(), fixed.splitlines()
    out: set[int] = set()
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:  # pure insertion before buggy line i1 + 1
            out.update(n for n in (i1, i1 + 1) if 1 <= n <= len(a))
        else:
            out.update(range(i1 + 1, i2 + 1))
    return out


def developer_lines(repo: Path, fix: Path, files: list[str]) -> dict[str, set[int]]:
    out = {}
    for path in files:
        buggy = repo / path
        old = buggy.read_text(errors="replace") if buggy.is_file() else ""
        out[path] = changed_lines(old, (fix / path).read_text(errors="replace"))
    return out


def _entry_path(entry: dict[str, Any], root: Path) -> str | None:
    """A localisation entry's path relative to the bug's repo (None: outside it)."""
    path = str(entry.get("path", ""))
    if path.startswith("/"):
        try:
            path = str(Path(path).relative_to(root))
        except ValueError:
            return None
    return path.removeprefix("./")


def fl_rank(localization: list[dict[str, Any]], dev: dict[str, set[int]], root: Path) -> int | None:
    for n, entry in enumerate(localization, 1):
        path = _entry_path(entry, root)
        if path is not None and entry.get("line") in dev.get(path, set()):
            return n
    return None


def statement_span(source: str, line: int) -> range:
    """The lines of the outermost statement starting on `line` (a compound statement: its
    header, up to its body), or just `line` when none starts there or the file does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return range(line, line + 1)
    for node in ast.walk(tree):  # breadth first: the outermost statement on a line comes first
        if isinstance(node, ast.stmt) and node.lineno == line:
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                return range(line, max(line, body[0].lineno - 1) + 1)
            return range(line, (node.end_lineno or line) + 1)
    return range(line, line + 1)


def fl_rank_statement(
    localization: list[dict[str, Any]], dev: dict[str, set[int]], root: Path, buggy: Path
) -> int | None:
    """`fl_rank`, counting a developer line inside the ranked entry's statement (see above).
    `root` is where the run's absolute paths point, `buggy` the buggy snapshot to read."""
    sources: dict[str, str] = {}
    for n, entry in enumerate(localization, 1):
        path = _entry_path(entry, root)
        if path is None:
            continue
        lines, line = dev.get(path, set()), entry.get("line")
        if not lines or not isinstance(line, int):
            continue
        if path not in sources:
            file = buggy / path
            sources[path] = file.read_text(errors="replace") if file.is_file() else ""
        if lines & set(statement_span(sources[path], line)):
            return n
    return None


def same_ast(a: str, b: str) -> bool:
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except (SyntaxError, ValueError):
        return a == b


def patch_paths(patch: str) -> list[str]:
    found = re.findall(r"^\+\+\+ b/(\S+)", patch, flags=re.M)
    found += re.findall(r"^--- a/(\S+)", patch, flags=re.M)
    return sorted(set(found))


def touches_tests(patch: str) -> list[str]:
    return [p for p in patch_paths(patch) if is_test_file(p)]


def apply_patch(repo: Path, patch: str) -> str:
    """'' when the patch applied, else git's complaint."""
    done = subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "-"],
        cwd=repo,
        input=patch,
        text=True,
        capture_output=True,
    )
    return "" if done.returncode == 0 else (done.stderr.strip() or "git apply failed")[:300]


def ast_equal_to_fix(patched: Path, fix: Path, dev_files: list[str], patch: str) -> bool:
    files = set(dev_files) | set(patch_paths(patch))
    for path in sorted(files):
        mine = patched / path
        theirs = fix / path if path in dev_files else None
        if theirs is None:  # the patch changed a file the developer left alone
            return False
        if not mine.is_file() or not same_ast(
            mine.read_text(errors="replace"), theirs.read_text(errors="replace")
        ):
            return False
    return True
