from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from treefix.testing.results import merge, parse_junit, parse_plugin, read_marker, strip_marker
from treefix.types import TestOutcome

MARKER = "__TREEFIX_EXIT_0123456789abcdef"


def test_read_marker_takes_the_last_real_marker_and_ignores_forgeries():
    stdout = "\n".join(
        [
            "collected 3 items",
            f"{MARKER}=0",  # printed by a test that read it somehow: the last one wins
            "__TREEFIX_EXIT_ffffffffffffffff=0",  # a forged marker with another nonce
            f"  {MARKER}=0",  # not at the start of a line
            f"{MARKER}=1",
            "__TREEFIX_EXIT_ffffffffffffffff=0",
        ]
    )
    assert read_marker(stdout, MARKER) == 1
    assert read_marker("no marker here\n", MARKER) is None
    assert read_marker(f"out\n{MARKER}=-9\n", MARKER) == -9


def test_strip_marker_leaves_the_output():
    assert strip_marker(f"line one\nline two\n{MARKER}=1\n", MARKER) == "line one\nline two"


def _run_pytest(tmp_path, files: dict[str, str]) -> str:
    root = tmp_path / "proj"
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    junit = tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            "-o",
            "junit_family=xunit1",
            "-q",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        timeout=60,
    )
    return junit.read_text()


def test_parse_junit_maps_real_pytest_output_to_node_ids(tmp_path):
    text = _run_pytest(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/broken.py": "def f(:\n",
            "tests/test_calc.py": """
                import pytest

                def test_plain():
                    assert 1 + 1 == 2

                def test_fails():
                    assert 1 + 1 == 3, "bad sum"

                @pytest.mark.parametrize("x, y", [(1, 2), (1.5, 2.5), ("a b", "a b!")])
                def test_param(x, y):
                    assert x != y

                class TestGroup:
                    def test_method(self):
                        pass

                    @pytest.mark.skip(reason="later")
                    def test_skipped(self):
                        pass

                    class TestInner:
                        @pytest.mark.parametrize("n", [0, 1])
                        def test_inner(self, n):
                            assert n == 0
            """,
            "tests/sub/test_deep.py": """
                import pytest

                @pytest.fixture
                def broken():
                    raise RuntimeError("fixture exploded")

                def test_fixture_error(broken):
                    pass
            """,
        },
    )
    out = parse_junit(text)
    outcomes = {nodeid: t.outcome for nodeid, t in out.items()}
    assert outcomes == {
        "tests/test_calc.py::test_plain": "passed",
        "tests/test_calc.py::test_fails": "failed",
        "tests/test_calc.py::test_param[1-2]": "passed",
        "tests/test_calc.py::test_param[1.5-2.5]": "passed",
        "tests/test_calc.py::test_param[a b-a b!]": "passed",
        "tests/test_calc.py::TestGroup::test_method": "passed",
        "tests/test_calc.py::TestGroup::test_skipped": "skipped",
        "tests/test_calc.py::TestGroup::TestInner::test_inner[0]": "passed",
        "tests/test_calc.py::TestGroup::TestInner::test_inner[1]": "failed",
        "tests/sub/test_deep.py::test_fixture_error": "error",
    }
    assert out["tests/test_calc.py::test_fails"].message.startswith("AssertionError: bad sum")


def test_parse_junit_names_inherited_and_imported_tests_by_the_module_that_collects_them(
    tmp_path,
):
    """JUnit's `file` is where a test is defined: a mixin's methods (networkx's historical tests)
    would get ids in the helper module, which pytest refuses when a validation shard selects
    them (the whole shard then fails and a right fix is rejected)."""
    text = _run_pytest(
        tmp_path,
        {
            "tests/__init__.py": "",
            "tests/mixins.py": """
                class Shared:
                    def test_inherited(self):
                        assert True

                def test_imported():
                    assert True
            """,
            "tests/test_graph.py": """
                from tests.mixins import Shared, test_imported

                class TestGraph(Shared):
                    pass

                class TestDiGraph(Shared):
                    pass
            """,
        },
    )
    assert sorted(parse_junit(text)) == [
        "tests/test_graph.py::TestDiGraph::test_inherited",
        "tests/test_graph.py::TestGraph::test_inherited",
        "tests/test_graph.py::test_imported",
    ]


def test_parse_junit_names_a_collection_error_by_its_module(tmp_path):
    text = _run_pytest(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/broken.py": "def f(:\n",
            "tests/test_collect.py": "import pkg.broken\n\ndef test_never():\n    pass\n",
        },
    )
    out = parse_junit(text)
    # the id pytest itself uses (and accepts back on its command line), nothing invented
    assert {n: t.outcome for n, t in out.items()} == {"tests/test_collect.py": "error"}


def test_parse_junit_refuses_doctype_and_entities():
    bomb = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
        '<testsuites><testsuite><testcase classname="t" name="test_x" file="t.py">'
        "<failure message='&lol2;'/></testcase></testsuite></testsuites>"
    )
    assert parse_junit(bomb) == {}
    assert parse_junit('<!ENTITY x SYSTEM "file:///etc/passwd">') == {}
    assert parse_junit("") == {}
    assert parse_junit("<testsuites><unclosed>") == {}


def _lines(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def test_parse_plugin_handles_a_killed_run():
    text = _lines(
        {"event": "start", "nodeid": "t.py::test_a"},
        {
            "event": "result",
            "nodeid": "t.py::test_a",
            "outcome": "failed",
            "message": "AssertionError: assert 1 == 2",
            "frames": [["t.py", 3], ["pkg/m.py", 10]],
            "duration": 0.5,
        },
        {"event": "start", "nodeid": "t.py::test_b"},
        {"event": "result", "nodeid": "t.py::test_b", "outcome": "passed", "duration": 0.1},
        {"event": "start", "nodeid": "t.py::test_hang"},
    )
    text += '{"event": "result", "nodeid": "t.py::test_ha'  # cut mid-line by the kill
    outcomes, timeouts, errors = parse_plugin(text)
    assert outcomes["t.py::test_a"].outcome == "failed"
    assert outcomes["t.py::test_a"].frames == [("t.py", 3), ("pkg/m.py", 10)]
    assert outcomes["t.py::test_a"].exc_type == "AssertionError"
    assert outcomes["t.py::test_b"].outcome == "passed"
    assert outcomes["t.py::test_hang"].outcome == "error"
    assert "Timeout" in outcomes["t.py::test_hang"].message
    assert timeouts == {"t.py::test_hang"}
    assert errors == {}


def test_parse_plugin_per_test_timeout_teardown_error_and_collection_error():
    text = _lines(
        {"event": "start", "nodeid": "t.py::test_loop"},
        {"event": "result", "nodeid": "t.py::test_loop", "outcome": "failed", "timeout": True},
        {"event": "start", "nodeid": "t.py::test_td"},
        {"event": "result", "nodeid": "t.py::test_td", "outcome": "passed", "duration": 1.0},
        {"event": "result", "nodeid": "t.py::test_td", "outcome": "error", "duration": 0.5},
        {
            "event": "collect_error",
            "nodeid": "tests/test_x.py",
            "message": "tests/test_x.py:1: in <module>\n    import m\nE   ImportError: no m\n",
        },
    )
    outcomes, timeouts, errors = parse_plugin(text)
    assert timeouts == {"t.py::test_loop"}
    assert outcomes["t.py::test_loop"].outcome == "failed"
    assert outcomes["t.py::test_td"].outcome == "error"  # the worse phase wins
    assert outcomes["t.py::test_td"].duration == 1.5
    assert outcomes["tests/test_x.py"].outcome == "error"
    assert outcomes["tests/test_x.py"].message == "ImportError: no m"
    assert "tests/test_x.py" in errors


def test_merge_takes_the_worse_verdict_and_keeps_the_plugins_frames():
    junit = {
        "t.py::a": TestOutcome("t.py::a", "failed", "AssertionError: x"),
        "t.py::only_junit": TestOutcome("t.py::only_junit", "passed"),
    }
    plugin = {
        "t.py::a": TestOutcome("t.py::a", "passed", frames=[("t.py", 4)]),
        "t.py::only_plugin": TestOutcome("t.py::only_plugin", "error", "Timeout"),
    }
    merged = merge(junit, plugin)
    assert merged["t.py::a"].outcome == "failed"
    assert merged["t.py::a"].frames == [("t.py", 4)]
    assert merged["t.py::only_junit"].outcome == "passed"
    assert merged["t.py::only_plugin"].outcome == "error"
