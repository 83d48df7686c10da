"""Which project paths are test code: never the fault we repair, never edited by a fix.

pytest's own rules: `test_*.py` and `*_test.py` (its default `python_files`), `conftest.py`, and
anything under a `test/` or `tests/` folder (fixtures, helpers, data the tests read).
"""

from __future__ import annotations

_TEST_DIRS = frozenset({"tests", "test"})


def is_test_file(path: str) -> bool:
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return False
    base = parts[-1]
    if base == "conftest.py" or (base.startswith("test_") and base.endswith(".py")):
        return True
    if base.endswith("_test.py"):
        return True
    return any(p in _TEST_DIRS for p in parts[:-1])
