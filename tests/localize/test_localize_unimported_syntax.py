"""A file that does not compile is a suspect only when the run could have imported it: a
Python 2 script in examples/ that the tests never load says nothing about an assertion failure."""

from __future__ import annotations

from treefix.localize.ranker import localize
from treefix.types import ProgramState, Status, TestOutcome, TestReport

FILES = {
    "examples/foo.py": b'def run():\n    print "Running Foo"\n',  # Python 2: never compiles
    "pkg/calc.py": b"def half(x):\n    return x // 3\n",
    "tests/test_calc.py": b"from pkg.calc import half\n\n\ndef test_half():\n    assert half(4) == 2\n",
}
TARGET = "tests/test_calc.py::test_half"


def _report(message: str, status: Status = Status.FAILED) -> TestReport:
    frames = [("tests/test_calc.py", 5), ("pkg/calc.py", 2)]
    out = TestOutcome(TARGET, "failed", message, frames=frames)
    return TestReport(status, 1, 0.1, tests={TARGET: out})


def test_an_assertion_failure_does_not_rank_a_script_that_never_compiles():
    ranked = localize(ProgramState(FILES), _report("AssertionError: assert 1 == 2"), [TARGET])
    assert ranked[0].path == "pkg/calc.py" and ranked[0].line == 2
    assert all(s.path != "examples/foo.py" for s in ranked)


def test_a_syntax_error_in_the_run_still_ranks_the_broken_file():
    broken = dict(FILES, **{"pkg/calc.py": b"def half(x)\n    return x // 2\n"})
    report = _report("SyntaxError: expected ':'")
    ranked = localize(ProgramState(broken), report, [TARGET])
    assert ("pkg/calc.py", 1) in [(s.path, s.line) for s in ranked[:3]]
    assert "syntax" in ranked[0].reasons
