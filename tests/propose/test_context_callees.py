"""What the first prompt shows beside the ranked lines: the functions the failing test's body
calls (and what they call), and what the most suspicious functions call."""

from __future__ import annotations

from treefix.propose.context.first import build_first_prompt
from treefix.types import ProgramState, Status, Suspicion, TestOutcome, TestReport


def _report(target: str, message: str, frames: list[tuple[str, int]]) -> TestReport:
    out = TestOutcome(target, "failed", message, frames=frames)
    return TestReport(Status.FAILED, 1, 0.1, tests={target: out})


HOOKS = (
    "import subprocess\n\nEXIT_SUCCESS = 0\n\n\n"
    "def run_script(path):\n"  # 6
    "    proc = subprocess.Popen([path])\n"
    "    return proc.wait()\n\n\n"  # 8: the bug: a failing hook must raise
    "def run_hook(name):\n"  # 11
    "    script = find(name)\n"
    "    return run_script(script)\n\n\n"
    "def find(name):\n"  # 16
    "    return name\n"
)
UTILS = "import os\n\n\ndef work_in(d):\n    cur = os.getcwd()\n    os.chdir(d)\n    yield\n"
HOOK_TEST = (
    "import pytest\n\nfrom pkg import hooks, utils, exceptions\n\n\n"
    "def test_failing_hook():\n"  # 6
    "    with utils.work_in('.'):\n"
    "        with pytest.raises(exceptions.FailedHook):\n"  # 8: the only frame
    "            hooks.run_hook('pre')\n"
)


def test_a_call_in_the_test_body_that_left_no_frame_is_shown_with_what_it_calls():
    """`run_hook` runs inside `pytest.raises` on the line after the failing one: the traceback
    has only the `raises` line and the spectrum ranks a context manager; a strong engineer reads
    run_hook and the helper it calls, where the exit status is swallowed."""
    state = ProgramState(
        {
            "pkg/__init__.py": b"",
            "pkg/hooks.py": HOOKS.encode(),
            "pkg/utils.py": UTILS.encode(),
            "pkg/exceptions.py": b"class Base(Exception):\n    pass\n",
            "tests/test_hooks.py": HOOK_TEST.encode(),
        }
    )
    target = "tests/test_hooks.py::test_failing_hook"
    report = _report(
        target,
        "AttributeError: module 'pkg.exceptions' has no attribute 'FailedHook'",
        [("tests/test_hooks.py", 8)],
    )
    focus = [Suspicion("pkg/utils.py", 5, 0.9, ("ochiai",))]
    code = build_first_prompt(state, focus, report, [target]).code
    assert ">>5 |     cur = os.getcwd()" in code  # the ranked line, marked
    assert "13 |     return run_script(script)" in code  # the test's callee
    assert "8 |     return proc.wait()" in code  # ... and its callee, one level down
    assert ">>8" not in code and ">>13" not in code  # context, never marked


def _long_function(n: int) -> str:
    body = "".join(f"    x{i} = step(x{i - 1 if i else ''})\n" for i in range(n))
    return (
        "def step(x=0):\n    return x\n\n\n"
        "def handle(req):\n"  # 5
        "    x = 0\n" + body + "    resp = build_response(req)\n"
        "    return resp\n"
    )


def test_the_helper_a_long_suspicious_function_calls_near_its_ranked_line_is_shown():
    """A 150-line handler is shown as a window around its ranked line; the function it calls
    there (where the bug is) lives in another module and would be left out; a name defined in
    many modules (`run`) tells nothing and is not shown."""
    n = 150
    handler = _long_function(n)
    call = 7 + n  # the `resp = build_response(req)` line
    helper = "def build_response(req):\n    return {'status': req.code + 1}\n\n\ndef other():\n    run()\n"
    files = {
        "app/handler.py": handler.encode(),
        "app/response.py": helper.encode(),
        "tests/test_app.py": b"from app.handler import handle\n\n\ndef test_handle():\n"
        b"    assert handle(Req())['status'] == 200\n",
    }
    for i in range(5):  # `run` defined in five modules: ambiguous
        files[f"app/m{i}.py"] = b"def run():\n    return 0\n"
    state = ProgramState(files)
    target = "tests/test_app.py::test_handle"
    report = _report(target, "assert 201 == 200", [("tests/test_app.py", 5)])
    focus = [Suspicion("app/handler.py", call + 1, 0.9, ("ochiai",))]
    code = build_first_prompt(state, focus, report, [target]).code
    assert f">>{call + 1} |     return resp" in code
    assert "### app/response.py" in code and "2 |     return {'status': req.code + 1}" in code
    assert "app/m0.py" not in code  # `run` is ambiguous; `other` is never called


def test_callees_in_files_beyond_the_ranked_ones_are_still_shown():
    """Four files of ranked code fill the file cap; the failing test's callee in a fifth file
    is still shown (context files have their own cap, within the line budget)."""
    files = {f"pkg/r{i}.py": f"def r{i}():\n    return {i}\n".encode() for i in range(4)}
    files["pkg/target.py"] = b"def compute(a):\n    return a - 1\n"
    files["tests/test_t.py"] = (
        b"from pkg.target import compute\n\n\ndef test_compute():\n    assert compute(2) == 2\n"
    )
    state = ProgramState(files)
    target = "tests/test_t.py::test_compute"
    report = _report(target, "assert 1 == 2", [("tests/test_t.py", 5)])
    focus = [Suspicion(f"pkg/r{i}.py", 2, 0.9 - i / 10, ("ochiai",)) for i in range(4)]
    code = build_first_prompt(state, focus, report, [target]).code
    assert all(f"### pkg/r{i}.py" in code for i in range(4))
    assert "### pkg/target.py" in code and "2 |     return a - 1" in code
