"""Lines a test module's import ran (routes registered by decorators, as FastAPI's and Flask's
tests do) are shared by every test of the module: with one failing test and no passing one to
contrast, the spectrum ties them with the lines the test itself ran. Recorded by the real plugin
on a real run, they rank after the test's own lines."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from treefix.localize import localize
from treefix.localize.spectrum import COLLECT_PREFIX
from treefix.sandbox.local import LocalSandbox
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import ProgramState
from treefix.workspace.snapshot import snapshot

ROUTES = textwrap.dedent(
    """
    TABLE = {}


    def route(path):
        def register(handler):
            key = path.strip("/")
            TABLE[key] = handler
            return handler

        return register


    def dispatch(path, value):
        handler = TABLE[path.strip("/")]
        result = handler(value)
        return result * 2
    """
).lstrip()

TESTS = textwrap.dedent(
    """
    from pkg.routes import dispatch, route


    @route("/double/")
    def double(value):
        return value + value


    def test_route_registered_handler_key_doubles():
        assert dispatch("/double/", 2) == 4
    """
).lstrip()

FAILING = "tests/test_routes.py::test_route_registered_handler_key_doubles"


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg/__init__.py").write_text("")
    (root / "pkg/routes.py").write_text(ROUTES)
    (root / "tests/__init__.py").write_text("")
    (root / "tests/test_routes.py").write_text(TESTS)
    return root


def test_lines_only_the_import_ran_rank_after_the_failing_tests_own(tmp_path: Path) -> None:
    root = _project(tmp_path / "proj")
    box = LocalSandbox(snapshot(root))
    try:
        runner = TestRunner(detect_test_command(root, f"{sys.executable} -m pytest"))
        report = runner.run(box, {}, timeout=120, per_test_timeout=10, coverage=True)
    finally:
        box.close()
    assert report.failing() == [FAILING]
    assert report.coverage is not None
    # the plugin keeps what the module's import ran (register's body), apart from the test's run
    imported = set(report.coverage[COLLECT_PREFIX + "tests/test_routes.py"]["pkg/routes.py"])
    assert imported == {5, 6, 7, 8, 10}  # route(): run when the decorator was applied
    state = ProgramState({p: (root / p).read_bytes() for p in ("pkg/routes.py", "pkg/__init__.py")})
    ranked = [(s.path, s.line) for s in localize(state, report, [FAILING])]
    own = [("pkg/routes.py", n) for n in (14, 15, 16)]  # dispatch: what the test itself ran
    assert set(own) <= set(ranked[:3]), ranked
    assert {("pkg/routes.py", n) for n in imported} <= set(ranked[3:])
