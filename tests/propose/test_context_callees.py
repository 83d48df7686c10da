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


def test_the_long_function_called_just_before_the_failing_assertion_is_shown_whole():
    """The test sets up with many `add_task()` calls, then calls `get_work()` and asserts: the
    bug sits deep inside get_work (150 lines, longer than a ranked function's window), so it is
    shown whole, and before add_task, which is as long and would take the budget first."""
    filler = "".join(f"        n{i} = {i}\n" for i in range(140))
    sched = (
        "class Scheduler:\n"
        "    def add_task(self, task_id):\n" + filler + "        self.tasks.append(task_id)\n\n"
        "    def get_work(self):\n" + filler + "        return {'ids': self.tasks[1:]}\n\n"
        "    def ping(self):\n        return 1\n"
    )
    get_work_return = sched.splitlines().index("        return {'ids': self.tasks[1:]}") + 1
    test = (
        "from pkg.sched import Scheduler\n\n\ndef test_batch():\n    s = Scheduler()\n"
        + "".join(f"    s.add_task('t{i}')\n" for i in range(5))
        + "    response = s.get_work()\n    assert response['ids'] == ['t0']\n"
    )
    state = ProgramState({"pkg/sched.py": sched.encode(), "tests/test_sched.py": test.encode()})
    target = "tests/test_sched.py::test_batch"
    report = _report(target, "AssertionError", [("tests/test_sched.py", 12)])
    focus = [Suspicion("pkg/sched.py", sched.count("\n") - 1, 0.5, ("ochiai",))]  # ping
    code = build_first_prompt(state, focus, report, [target]).code
    assert f"{get_work_return} |         return {{'ids': self.tasks[1:]}}" in code
    assert "def get_work(self):" in code and "        n139 = 139" in code


def test_a_class_attribute_default_the_suspicious_code_reads_is_shown():
    """`self.disable_failures` is read by the ranked method; its wrong default is a class
    attribute of a config class, set at import: shown beside the method."""
    src = (
        "class Config:\n"
        "    window = 3600\n"
        "    disable_failures = IntParameter(default=None,\n"  # 3
        "                                    section='scheduler')\n"
        "    unrelated = 7\n\n\n"
        "class Task:\n"
        "    def __init__(self, cfg):\n"
        "        self.disable_failures = cfg.disable_failures\n\n"
        "    def excessive(self, n):\n"
        "        return n >= self.disable_failures\n"  # 13
    )
    focus = [Suspicion("pkg/sched.py", 13, 0.9, ("traceback",))]
    from treefix.propose.code_context import code_context

    code = code_context(ProgramState({"pkg/sched.py": src.encode()}), focus)
    assert ">>13 |         return n >= self.disable_failures" in code
    assert "3 |     disable_failures = IntParameter(default=None," in code
    assert "4 |                                     section='scheduler')" in code
    assert "unrelated = 7" not in code


def test_a_ranked_method_comes_with_its_class_line_and_constructor():
    """`get_target_path` is ranked; the class's `__init__` (which forgets `super().__init__()`)
    is read with it, as an engineer reads a method with the constructor that sets it up."""
    src = (
        "class Base:\n    def __init__(self):\n        self.ready = True\n\n\n"
        "class Job(Base):\n"  # 6
        "    def __init__(self):\n"
        "        if not isinstance(self.params, dict):\n"
        "            raise ValueError('params must be a dict')\n\n"  # 9
        "    def unrelated(self):\n        return 0\n\n"
        "    @staticmethod\n"
        "    def target_path(target):\n"
        "        return target.path\n"  # 16
    )
    focus = [Suspicion("pkg/job.py", 16, 0.9, ("traceback",))]
    from treefix.propose.code_context import code_context

    code = code_context(ProgramState({"pkg/job.py": src.encode()}), focus)
    assert ">>16 |         return target.path" in code
    assert " 6 | class Job(Base):" in code
    assert " 9 |             raise ValueError('params must be a dict')" in code
    assert "def unrelated" not in code and "self.ready = True" not in code


def test_when_the_spectrum_ties_the_function_with_most_ranked_lines_gives_its_callees_first():
    """The failing tests run alone: every line they run scores the same and sorts by path.
    Three one-line functions of `a.py` sort first; the handler in `z.py` holds most of the
    ranked lines, and the helper it calls (the bug) is shown."""
    files = {
        "pkg/a.py": b"def f1():\n    return 1\n\n\ndef f2():\n    return 2\n\n\ndef f3():\n    return 3\n",
        "pkg/z.py": b"from pkg.h import helper\n\n\ndef handle(x):\n    a = x + 1\n    b = a * 2\n"
        b"    c = b - 1\n    d = c + a\n    return helper(d)\n",
        "pkg/h.py": b"def helper(v):\n    return v - 100\n",
        # through a test helper: the test's own calls lead nowhere in the project
        "tests/helpers.py": b"from pkg.z import handle\n\n\ndef run_case(x):\n    return handle(x)\n",
        "tests/test_z.py": b"from tests.helpers import run_case\n\n\ndef test_handle():\n"
        b"    assert run_case(1) == 7\n",
    }
    state = ProgramState(files)
    target = "tests/test_z.py::test_handle"
    report = _report(target, "assert -93 == 7", [("tests/test_z.py", 5)])
    focus = [Suspicion("pkg/a.py", ln, 1.0, ("ochiai",)) for ln in (2, 6, 10)]
    focus += [Suspicion("pkg/z.py", ln, 1.0, ("ochiai",)) for ln in range(5, 10)]
    from treefix.propose.context.callees import callee_suspicions

    found = callee_suspicions(state, report, [target], focus)
    assert ("pkg/h.py", 2) in [(s.path, s.line) for s in found]
    code = build_first_prompt(state, focus, report, [target]).code
    assert "### pkg/h.py" in code and "2 |     return v - 100" in code


def test_a_long_functions_callees_come_nearest_its_best_scored_line_first():
    """Five calls sit on lines the spectrum ties at a lower score; the best-scored line uses the
    response of `fetch`, the helper with the bug: it is shown though the other five come first
    in the function."""
    names = ["one", "two", "three", "four", "five"]
    main = (
        "from pkg.lib import *\n\n\ndef main(x):\n"
        + "".join(f"    x = {n}(x)\n" for n in names)
        + "    resp = fetch(x)\n    out = [resp]\n    return out\n"
    )  # 5-9, 10: fetch, 11: top
    lib = "".join(f"def {n}(x):\n    return x\n\n\n" for n in names)
    lib += "def fetch(x):\n    return {'redirects': 30}\n"
    files = {
        "pkg/main.py": main.encode(),
        "pkg/lib.py": lib.encode(),
        "tests/helpers.py": b"from pkg.main import main\n\n\ndef run_case(x):\n    return main(x)\n",
        "tests/test_main.py": b"from tests.helpers import run_case\n\n\ndef test_main():\n"
        b"    assert run_case(1)[0]['redirects'] == 2\n",
    }
    state = ProgramState(files)
    target = "tests/test_main.py::test_main"
    report = _report(target, "assert 30 == 2", [("tests/test_main.py", 5)])
    focus = [Suspicion("pkg/main.py", 11, 0.64, ("ochiai",))]
    focus += [Suspicion("pkg/main.py", ln, 0.52, ("ochiai",)) for ln in range(5, 10)]
    code = build_first_prompt(state, focus, report, [target]).code
    assert "    return {'redirects': 30}" in code
