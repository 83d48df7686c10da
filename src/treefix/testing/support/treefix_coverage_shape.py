"""The shape of treefix_pytest's per-test coverage: import-time lines credited to each test of the
module, and the compact format (files indexed, lines as ranges) the host reads.

Runs in the project's interpreter: Python 3.6+, standard library only.
"""

import ast
import os


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


def with_module_lines(per_test: dict, items: list, root: str, prefix: str) -> dict:
    """Each test (`items`: the collected node ids) also ran the functions its module called at
    import (recorded under the context `prefix` + the module's path)."""
    cache = {}  # type: dict
    modules = {
        k[len(prefix) :]: {
            path: [n for n in lines if n in _function_lines(root, path, cache)]
            for path, lines in v.items()
        }
        for k, v in per_test.items()
        if k.startswith(prefix)
    }
    out = {k: v for k, v in per_test.items() if not k.startswith(prefix)}
    for nodeid in items:
        extra = modules.get(nodeid.split("::", 1)[0])
        if not extra:
            continue
        mine = out.setdefault(nodeid, {})
        for path, lines in extra.items():
            if lines:
                mine[path] = sorted(set(mine.get(path, [])) | set(lines))
    return out


def _ranges(lines) -> list:
    """[1, 2, 3, 7] -> [[1, 3], [7, 7]]: a test runs whole blocks, so a few ranges per file."""
    out: list[list[int]] = []
    for n in sorted(set(lines)):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


def compact(per_test: dict) -> dict:
    """Each path once (tests refer to it by index), lines as ranges: thousands of tests stay a
    few MiB where {test: {path: [lines]}} grew past any cap."""
    files: dict[str, int] = {}
    tests: dict[str, dict[str, list[list[int]]]] = {}
    for nodeid, by_path in per_test.items():
        entry: dict[str, list[list[int]]] = {}
        for path, lines in by_path.items():
            index = files.setdefault(path, len(files))
            entry[str(index)] = _ranges(lines)
        tests[nodeid] = entry
    return {"format": "treefix-coverage-2", "files": sorted(files, key=files.__getitem__), "tests": tests}
