"""DockerSandbox under the real TestRunner: graded like the local sandbox, candidates come and go,
coverage comes back, and the hardening is visible from inside the container."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import BUGGY
from tests.docker.docker_helpers import (
    CALC,
    HOSTILE,
    make_project,
    open_sandbox,
    outcomes,
    run_clean,
    runner_for,
)
from treefix.sandbox.local import LocalSandbox
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner

pytestmark = pytest.mark.docker

FIXED_CART = BUGGY["shop/cart.py"].replace(
    "len(prices) > discount_from", "len(prices) >= discount_from"
)


@pytest.fixture(scope="module")
def buggy(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("buggy") / "proj", BUGGY)


@pytest.fixture(scope="module")
def box(buggy, docker_engine, sandbox_image):
    sb = open_sandbox(buggy, docker_engine, sandbox_image, "t-runs")
    yield sb
    sb.close()


def _local_report(project, changed, tests=None, coverage=False):
    sb = LocalSandbox(project)
    try:
        runner = TestRunner(detect_test_command(project.root, None))
        return runner.run(sb, changed, tests, timeout=60, per_test_timeout=10, coverage=coverage)
    finally:
        sb.close()


def test_graded_like_the_local_sandbox(buggy, box):
    runner = runner_for(buggy)
    for changed in ({}, {"shop/cart.py": FIXED_CART.encode()}):
        docker_rep = runner.run(box, changed, None, timeout=60, per_test_timeout=10)
        local_rep = _local_report(buggy, changed)
        assert docker_rep.status == local_rep.status
        assert docker_rep.exit_code == local_rep.exit_code
        assert outcomes(docker_rep) == outcomes(local_rep)
        assert docker_rep.failing() == local_rep.failing()
        assert len(docker_rep.tests) == 4
    # and the failing test names the same place
    rep = runner.run(box, {}, None, timeout=60, per_test_timeout=10)
    assert rep.status == "failed" and rep.exit_code == 1
    assert rep.failing() == ["tests/test_cart.py::test_three_get_discount"]
    failed = rep.tests["tests/test_cart.py::test_three_get_discount"]
    assert failed.message.startswith("AssertionError")
    assert ("tests/test_cart.py", 10) in [tuple(f) for f in failed.frames]


def test_a_candidate_is_used_for_its_run_only(buggy, box):
    runner = runner_for(buggy)
    fixed = runner.run(box, {"shop/cart.py": FIXED_CART.encode()}, None, timeout=60)
    assert fixed.status == "passed" and len(fixed.tests) == 4
    again = runner.run(box, {}, None, timeout=60)
    assert again.status == "failed"
    assert again.failing() == ["tests/test_cart.py::test_three_get_discount"]
    # a candidate breaking another file; then one that only touches cart.py: the first is undone
    broken = runner.run(
        box, {"shop/__init__.py": b"raise ImportError('broken')\n"}, None, timeout=60
    )
    assert broken.status == "error"
    fixed = runner.run(box, {"shop/cart.py": FIXED_CART.encode()}, None, timeout=60)
    assert fixed.status == "passed"
    # focused on one test: only that test runs
    one = runner.run(box, {}, ["tests/test_cart.py::test_two"], timeout=60)
    assert one.status == "passed" and list(one.tests) == ["tests/test_cart.py::test_two"]


def test_coverage_returns_per_test_lines_like_local(buggy, box):
    rep = runner_for(buggy).run(box, {}, None, timeout=60, per_test_timeout=10, coverage=True)
    assert rep.coverage is not None
    assert set(rep.coverage) == set(rep.tests)
    four = rep.coverage["tests/test_cart.py::test_four_get_discount"]
    assert 6 in four["shop/cart.py"]  # the discount line, hit only with four prices
    assert 6 not in rep.coverage["tests/test_cart.py::test_two"]["shop/cart.py"]
    local = _local_report(buggy, {}, coverage=True)
    assert {t: {p: sorted(ls) for p, ls in files.items()} for t, files in rep.coverage.items()} == {
        t: {p: sorted(ls) for p, ls in files.items()} for t, files in local.coverage.items()
    }


HARDENING = """\
import os


def _status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return line.split(":", 1)[1].strip()


def test_uid():
    assert (os.getuid(), os.getgid(), os.geteuid()) == (1000, 1000, 1000)


def test_no_capabilities():
    assert int(_status("CapEff"), 16) == 0
    assert int(_status("CapPrm"), 16) == 0
    assert int(_status("CapBnd"), 16) == 0


def test_no_new_privileges():
    assert _status("NoNewPrivs") == "1"


def test_no_host_environment():
    leaked = sorted(k for k in os.environ if k in {names!r})
    assert leaked == []
    assert os.environ["HOME"] == "/tmp" and os.environ["PWD"] == "/work/project"


def test_tmp_is_a_tmpfs():
    with open("/proc/self/mounts") as fh:
        mounts = {{line.split()[1]: line.split()[2] for line in fh}}
    assert mounts.get("/tmp") == "tmpfs"


def test_project_is_read_only_for_the_candidate():
    assert not os.access("calc/core.py", os.W_OK)
    assert not os.access(".", os.W_OK)
"""


def test_hardening_is_visible_from_inside(tmp_path, docker_engine, sandbox_image, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-secret")
    monkeypatch.setenv("TREEFIX_CANARY", "1")
    host_only = ["ANTHROPIC_API_KEY", "TREEFIX_CANARY"]
    project = make_project(tmp_path / "calc")
    sb = open_sandbox(project, docker_engine, sandbox_image, "t-hardening")
    try:
        body = HARDENING.format(names=set(host_only)).encode()
        rep = runner_for(project).run(sb, {HOSTILE: body}, [HOSTILE], timeout=60)
        # the same checks through a bare command, outside pytest
        raw = sb.execute({}, _exec("import json, os; print(json.dumps(sorted(os.environ)))"))
    finally:
        sb.close()
    failed = {k: v.message for k, v in rep.tests.items() if v.outcome != "passed"}
    assert failed == {} and len(rep.tests) == 6, failed
    assert rep.status == "passed"
    assert raw.exit_code == 0
    assert not set(host_only) & set(json.loads(raw.stdout))


def _exec(code: str):
    from treefix.protocols import ExecRequest

    return ExecRequest(["python3", "-c", code], {}, 30)


def test_one_sandboxed_run_costs_little_over_a_bare_docker_exec(buggy, box):
    """Measures (and bounds loosely) the harness's overhead over `docker exec` of the same command."""
    runner = runner_for(buggy)
    focus = ["tests/test_cart.py::test_three_get_discount", "tests/test_cart.py::test_two"]
    runner.run(box, {}, focus, timeout=60)  # warm the page cache
    sandboxed, bare = [], []
    argv = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", *focus]
    for _ in range(3):
        t = time.monotonic()
        runner.run(box, {"shop/cart.py": FIXED_CART.encode()}, focus, timeout=60)
        sandboxed.append(time.monotonic() - t)
        t = time.monotonic()
        code, _ = box.container.exec_run(argv, user="1000:1000", workdir="/work/project")
        bare.append(time.monotonic() - t)
        assert code in (0, 1)
    s, b = sorted(sandboxed)[1], sorted(bare)[1]
    print(f"\nmedian sandboxed run {s * 1000:.0f} ms, bare docker exec {b * 1000:.0f} ms")
    assert s < b + 2.0


def test_a_test_killing_its_own_process_group_is_a_crash_like_local(
    tmp_path, docker_engine, sandbox_image
):
    project = make_project(tmp_path / "calc")
    body = b"import os, signal\n\ndef test_hostile():\n    os.killpg(0, signal.SIGKILL)\n"
    sb = open_sandbox(project, docker_engine, sandbox_image, "t-killpg")
    try:
        rep = runner_for(project).run(sb, {HOSTILE: body}, None, timeout=30)
        assert run_clean(runner_for(project), sb).status == "passed"
    finally:
        sb.close()
    local = _local_report(project, {HOSTILE: body})
    assert (
        (rep.status, rep.detail) == (local.status, local.detail) == ("crashed", "killed by SIGKILL")
    )
    assert outcomes(rep) == outcomes(local)


def test_a_non_python_file_can_be_a_candidate_and_is_put_back(
    tmp_path, docker_engine, sandbox_image
):
    files = {
        **CALC,
        "calc/rates.json": '{"vat": 20}\n',
        HOSTILE: (
            "import json\n\n"
            "def test_placeholder():\n"
            "    assert json.load(open('calc/rates.json')) == {'vat': 20}\n"
        ),
    }
    project = make_project(tmp_path / "calc", files)
    runner = runner_for(project)
    sb = open_sandbox(project, docker_engine, sandbox_image, "t-data")
    try:
        changed = runner.run(sb, {"calc/rates.json": b'{"vat": 5}\n'}, None, timeout=30)
        assert changed.status == "failed"
        assert changed.failing() == ["tests/test_hostile.py::test_placeholder"]
        # the next candidate changes another file: rates.json must be back to the original
        other = runner.run(sb, {"calc/core.py": CALC["calc/core.py"].encode()}, None, timeout=30)
        assert other.status == "passed", other.output[-1500:]
        assert run_clean(runner, sb).status == "passed"
    finally:
        sb.close()


def test_the_sandbox_runs_the_snapshot_not_later_edits_of_the_user(
    tmp_path, docker_engine, sandbox_image
):
    project = make_project(tmp_path / "calc")
    # the user edits files after treefix took its snapshot (here: an empty __init__.py)
    (project.root / "calc" / "__init__.py").write_text(
        "raise ImportError('edited after the snapshot')\n"
    )
    (project.root / "tests" / "test_core.py").write_text("def test_edited():\n    assert False\n")
    sb = open_sandbox(project, docker_engine, sandbox_image, "t-snapshot")
    try:
        rep = run_clean(runner_for(project), sb)
    finally:
        sb.close()
    local = _local_report(project, {})
    assert rep.status == local.status == "passed", rep.output[-1500:]
    assert outcomes(rep) == outcomes(local)
