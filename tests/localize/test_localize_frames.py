from __future__ import annotations

import textwrap

import pytest

from treefix.localize import is_test_file
from treefix.localize.files import PathResolver
from treefix.localize.frames import blocks_for, is_timeout, parse_traceback_text, score_chain
from treefix.types import TestOutcome as Outcome


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("test_x.py", True),
        ("pkg/test_x.py", True),
        ("pkg/x_test.py", True),
        ("conftest.py", True),
        ("pkg/conftest.py", True),
        ("tests/helpers.py", True),
        ("src/pkg/test/util.py", True),
        ("pkg/testing.py", False),
        ("pkg/contest.py", False),
        ("latest_test_data/mod.py", False),
        ("pkg/tests.py", False),
        ("pkg/mod.py", False),
        ("", False),
    ],
)
def test_is_test_file(path, expected):
    assert is_test_file(path) is expected


def test_resolver_maps_printed_paths_onto_the_project():
    r = PathResolver(["pkg/mod.py", "pkg/sub/mod.py", "other/util.py", "single.py"])
    assert r.resolve("pkg/mod.py") == "pkg/mod.py"
    assert r.resolve("./pkg/mod.py") == "pkg/mod.py"
    assert r.resolve("/tmp/sandbox/pkg/sub/mod.py") == "pkg/sub/mod.py"
    assert r.resolve("/tmp/sandbox/pkg/mod.py") == "pkg/mod.py"
    assert r.resolve("C:\\work\\other\\util.py") == "other/util.py"
    assert r.resolve("util.py") == "other/util.py"  # bare basename, unambiguous
    assert r.resolve("mod.py") is None  # bare basename, ambiguous
    assert r.resolve("/usr/lib/python3.11/json/decoder.py") is None
    assert r.resolve("/tmp/xsingle.py") is None
    assert r.resolve(None) is None


PYTHON_TB = """\
Traceback (most recent call last):
  File "/srv/app/run.py", line 3, in <module>
    main()
  File "/srv/app/pkg/mod.py", line 7, in main
    return parse(x)
ValueError: bad

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/app/pkg/mod.py", line 9, in main
    raise RuntimeError
RuntimeError
"""


def test_parse_python_traceback_with_chained_exception():
    blocks = parse_traceback_text(PYTHON_TB)
    assert [b.frames for b in blocks] == [
        (("/srv/app/run.py", 3), ("/srv/app/pkg/mod.py", 7)),
        (("/srv/app/pkg/mod.py", 9),),
    ]


PYTEST_OUT = textwrap.dedent(
    """
    =================================== FAILURES ===================================
    ___________________________________ test_one ___________________________________
    tests/test_a.py:5: in test_one
        assert f(1) == 2
    pkg/a.py:3: in f
        return g(x)
    pkg/a.py:8: ValueError
    ----------------------------- Captured stdout call -----------------------------
      File "pkg/noise.py", line 1
    ______________________________ TestK.test_two[1] _______________________________
    tests/test_a.py:12: in test_two
        assert h() == 0
    E   SyntaxError: invalid syntax (b.py, line 4)
    =============================== warnings summary ===============================
    pkg/a.py:20: DeprecationWarning: old
    =========================== short test summary info ============================
    FAILED tests/test_a.py::test_one - ValueError
    """
)


def test_parse_pytest_output_by_section():
    blocks = parse_traceback_text(PYTEST_OUT)
    assert [(b.header, b.frames) for b in blocks] == [
        ("test_one", (("tests/test_a.py", 5), ("pkg/a.py", 3), ("pkg/a.py", 8))),
        ("TestK.test_two[1]", (("tests/test_a.py", 12), ("b.py", 4))),
    ]
    assert [b.header for b in blocks_for("tests/test_a.py::TestK::test_two[1]", blocks)] == [
        "TestK.test_two[1]"
    ]
    assert len(blocks_for("tests/test_a.py::test_unknown", blocks)) == 2  # no label: all of them


def test_frame_scores_decay_outward():
    chain = [("a.py", 1), ("b.py", 2), ("c.py", 3)]
    assert score_chain(chain) == [
        ("c.py", 3, 1.0),
        ("b.py", 2, 0.8),
        ("a.py", 1, pytest.approx(0.64)),
    ]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Failed: Timeout >2.0s", True),
        ("TimeoutError: test took too long", True),
        ("treefix.Timeout: limit reached", True),
        ("KeyboardInterrupt", True),
        ("RuntimeError: the test timed out", True),
        ("AssertionError: assert cfg.timeout == 5", False),
        ("IndexError: list index out of range", False),
        ("", False),
    ],
)
def test_timeout_detection(message, expected):
    assert is_timeout(Outcome("t::x", "failed", message)) is expected


def test_is_test_file_is_importable_where_other_stages_look():
    from treefix.localize.ranker import is_test_file as from_ranker

    assert from_ranker is is_test_file
