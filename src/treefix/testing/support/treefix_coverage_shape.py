"""treefix_pytest's per-test coverage, streamed: one line per test written as the test ends, so the
plugin holds one test's lines at a time and a killed run keeps the coverage of the tests it
finished. The host reads it with treefix.testing.coverage_file.

coverage.jsonl, one JSON value a line:
  {"format": "treefix-coverage-3"}       first line
  ["f", 0, "pkg/mod.py"]                  a path's index, before its first use
  ["t", "tests/test_x.py::test_y", {"0": [3, [5, 9], 12]}]
                                          a test: lines per path index, a span [lo, hi] or a line
  ["m", "tests/test_x.py", {...}]         what a test module's import ran inside functions: each
                                          test of that module ran it too

Runs in the project's interpreter: Python 3.6+, standard library only.
"""

import ast
import json
import os

FORMAT = "treefix-coverage-3"
FILE = "coverage.jsonl"


def _function_lines(root: str, rel: str, cache: dict) -> set:
    """Lines inside the function bodies of a project file: what an import ran beyond defining
    things (module and class bodies, i.e. def/class/import lines, belong to no test)."""
    if rel not in cache:
        lines = cache[rel] = set()
        try:
            with open(os.path.join(root, rel), "rb") as fh:
                tree = ast.parse(fh.read())
        except (OSError, SyntaxError, ValueError):
            return lines
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                body = node.body if isinstance(node.body, list) else [node.body]
                for stmt in body:
                    lines.update(n.lineno for n in ast.walk(stmt) if hasattr(n, "lineno"))
    return cache[rel]


def spans(lines) -> list:
    """[1, 2, 3, 7] -> [[1, 3], 7]: a test runs whole blocks, so a few spans per file."""
    out = []  # type: list
    for n in sorted(set(lines)):
        last = out[-1] if out else None
        if isinstance(last, list) and n == last[1] + 1:
            last[1] = n
        elif last == n - 1:
            out[-1] = [n - 1, n]
        else:
            out.append(n)
    return out


class CoverageStream:
    """Writes coverage.jsonl into `folder` as tests end (flushed per test: a run killed later
    keeps it)."""

    def __init__(self, folder: str, root: str):
        self.path = os.path.join(folder, FILE)
        self._root = root
        self._files = {}  # type: dict
        self._cache = {}  # type: dict  # project file -> lines in function bodies
        self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        self._line({"format": FORMAT})

    def _line(self, value) -> None:
        self._fh.write(json.dumps(value, separators=(",", ":")) + "\n")

    def _encode(self, by_path: dict) -> dict:
        out = {}
        for path, lines in by_path.items():
            if not lines:
                continue
            index = self._files.get(path)
            if index is None:
                index = self._files[path] = len(self._files)
                self._line(["f", index, path])
            out[str(index)] = spans(lines)
        return out

    def test(self, nodeid: str, by_path: dict) -> None:
        """A test's lines ({path: lines}); written even when empty (the test was traced)."""
        self._line(["t", nodeid, self._encode(by_path)])
        self._fh.flush()

    def module(self, module: str, by_path: dict) -> None:
        """The lines a test module's import ran: only those inside functions count (the calls it
        made at import); module and class bodies belong to no test."""
        kept = {}
        for path, lines in by_path.items():
            body = _function_lines(self._root, path, self._cache)
            mine = [n for n in lines if n in body]
            if mine:
                kept[path] = mine
        if kept:
            self._line(["m", module, self._encode(kept)])
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def discard(self) -> None:
        """Nothing of this run's coverage is kept (tracing was turned off or broke)."""
        self._fh.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
