"""Hostile candidates in a real container: each is classified, treefix does not crash, and the next
candidate still runs in the same container against the original files."""

from __future__ import annotations

import socket
import textwrap
import time

import pytest

from tests.docker.docker_helpers import (
    HOSTILE,
    assert_still_healthy,
    candidate_processes,
    make_project,
    open_sandbox,
    outcomes,
    runner_for,
)

pytestmark = pytest.mark.docker

HOSTILE_ID = "tests/test_hostile.py::test_hostile"


@pytest.fixture(scope="module")
def calc(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("calc") / "proj")


@pytest.fixture
def open_box(calc, docker_engine, sandbox_image, request):
    """Opens a sandbox with the given limits; closed (container removed) after the test."""
    boxes = []

    def make(**limits):
        box = open_sandbox(
            calc, docker_engine, sandbox_image, f"t-{request.node.name[:20]}", **limits
        )
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.close()


def _hostile(body: str) -> dict[str, bytes]:
    return {HOSTILE: textwrap.dedent(body).encode()}


def _run_hostile(calc, box, body: str, *, timeout: float = 30, per_test: float = 10):
    runner = runner_for(calc)
    start = time.monotonic()
    rep = runner.run(box, _hostile(body), [HOSTILE], timeout=timeout, per_test_timeout=per_test)
    return runner, rep, time.monotonic() - start


def _gateway(client) -> str:
    config = client.networks.get("bridge").attrs["IPAM"]["Config"]
    return next((c["Gateway"] for c in config if c.get("Gateway")), "172.17.0.1")


def test_no_network_to_the_internet_or_the_host(calc, open_box, docker_engine):
    # a port that really listens on the host: "refused" would mean a route exists
    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        box = open_box()
        runner, rep, _ = _run_hostile(
            calc,
            box,
            f"""\
            import socket
            import urllib.request

            def test_http_internet():
                urllib.request.urlopen("http://1.1.1.1/", timeout=3)

            def test_socket_internet():
                socket.create_connection(("1.1.1.1", 443), timeout=3)

            def test_host_gateway():
                socket.create_connection(("{_gateway(docker_engine)}", {port}), timeout=3)
            """,
        )
    finally:
        listener.close()
    assert rep.status == "failed", (rep.status, rep.detail)
    assert set(outcomes(rep).values()) == {"failed"} and len(rep.tests) == 3
    for t in rep.tests.values():
        assert "unreachable" in t.message.lower(), t.message  # no route at all, not "refused"
    assert_still_healthy(runner, box)


def test_fork_bomb_is_bounded_by_the_pids_limit(calc, open_box):
    box = open_box(pids=64)
    runner, rep, took = _run_hostile(
        calc,
        box,
        """\
        import os
        import time

        def test_hostile():
            while True:  # every child loops too; only the pids limit bounds them
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.05)
        """,
        timeout=20,
        per_test=3,
    )
    assert rep.status != "passed"
    assert rep.status == "resource_limit", (rep.status, rep.detail)  # pids.events counted it
    assert took < 40
    assert "fork" not in rep.output.split("short test summary")[-1]  # treefix's own shell forked
    assert candidate_processes(box.container) == []
    assert_still_healthy(runner, box)


def test_memory_hog_is_killed_and_reported_as_oom(calc, open_box):
    box = open_box(memory="256m")
    runner, rep, _ = _run_hostile(
        calc,
        box,
        """\
        def test_hostile():
            hog = []
            for _ in range(1024):  # 1 GiB, every page touched
                hog.append(b"x" * (1 << 20))
        """,
    )
    assert rep.status == "oom", (rep.status, rep.detail, rep.output[-1000:])
    assert_still_healthy(runner, box)


def test_infinite_loop_fails_at_the_per_test_limit_inside_the_loop(calc, open_box):
    box = open_box()
    runner, rep, took = _run_hostile(
        calc,
        box,
        """\
        def spin():
            n = 0
            while True:
                n += 1

        def test_hostile():
            spin()
        """,
        per_test=2,
    )
    assert rep.status == "timeout", (rep.status, rep.detail)
    t = rep.tests[HOSTILE_ID]
    assert t.outcome == "failed"
    assert "per-test limit" in t.message
    assert any(path == HOSTILE and line in (3, 4) for path, line in t.frames), t.frames
    assert took < 15
    assert_still_healthy(runner, box)


def test_hard_hang_hits_the_run_timeout(calc, open_box):
    box = open_box()
    runner, rep, took = _run_hostile(
        calc,
        box,
        """\
        import signal

        def test_hostile():
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # only SIGKILL ends it
            while True:
                pass
        """,
        timeout=5,
        per_test=1,
    )
    assert rep.status == "timeout", (rep.status, rep.detail)
    assert took < 20
    assert candidate_processes(box.container) == []
    assert_still_healthy(runner, box)


def test_daemonised_grandchild_neither_hangs_the_run_nor_survives_it(calc, open_box):
    box = open_box()
    runner, rep, took = _run_hostile(
        calc,
        box,
        """\
        import os
        import time

        def test_hostile():
            if os.fork() == 0:
                try:
                    os.setsid()
                    if os.fork() == 0:
                        time.sleep(300)  # holds every inherited fd, the run's stdout included
                finally:
                    os._exit(0)
            os.wait()
        """,
    )
    assert rep.status == "passed", (rep.status, rep.detail)
    assert took < 15
    assert candidate_processes(box.container) == []
    assert_still_healthy(runner, box)


def test_huge_file_is_stopped_by_the_file_size_limit(calc, open_box):
    box = open_box(file_bytes=16 << 20)
    runner, rep, _ = _run_hostile(
        calc,
        box,
        """\
        def test_hostile():
            chunk = b"\\0" * (1 << 20)
            with open("/tmp/big", "wb") as fh:
                for _ in range(2048):  # 2 GB
                    fh.write(chunk)
        """,
    )
    assert rep.status != "passed"
    assert rep.status == "failed", (rep.status, rep.detail)
    assert "File too large" in rep.tests[HOSTILE_ID].message
    code, out = box.container.exec_run(["stat", "-c", "%s", "/tmp/big"])
    assert code != 0 or int(out) <= 16 << 20
    assert_still_healthy(runner, box)


def test_candidate_cannot_modify_the_project_copy(calc, open_box):
    box = open_box()
    runner, rep, _ = _run_hostile(
        calc,
        box,
        """\
        import os
        import pathlib

        def test_hostile():
            pathlib.Path("calc/core.py").write_text("def add(a, b):\\n    return 0\\n")

        def test_delete():
            os.remove("calc/core.py")

        def test_plant_a_conftest():
            pathlib.Path("tests/conftest.py").write_text("raise SystemExit(0)\\n")
        """,
    )
    assert rep.status == "failed"
    for t in rep.tests.values():
        assert t.outcome == "failed" and t.message.startswith("PermissionError"), t
    # the original `add` is what the next run imports
    assert_still_healthy(runner, box)


def test_huge_output_is_capped_and_flagged(calc, open_box):
    box = open_box()
    runner, rep, took = _run_hostile(
        calc,
        box,
        """\
        import sys

        def test_hostile():
            for _ in range(50):
                sys.stdout.write("x" * (1 << 20))
            assert False, "printed 50 MB"
        """,
    )
    assert rep.status == "failed", (rep.status, rep.detail)
    assert rep.truncated
    assert len(rep.output) < 3 << 20
    assert "bytes not kept" in rep.output
    assert rep.tests[HOSTILE_ID].outcome == "failed"
    assert rep.exit_code == 1  # the exit marker after 50 MB still came through
    assert_still_healthy(runner, box)


def test_scratch_space_does_not_carry_over_to_the_next_candidate(calc, open_box):
    box = open_box()
    places = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"]
    runner, rep, _ = _run_hostile(
        calc,
        box,
        f"""\
        import os

        def test_hostile():
            for place in {places!r}:
                with open(os.path.join(place, "left-by-a-candidate"), "w") as fh:
                    fh.write("x")
        """,
    )
    assert rep.status == "passed", (rep.status, rep.detail, rep.output[-1000:])
    runner, rep, _ = _run_hostile(
        calc,
        box,
        f"""\
        import os

        def test_hostile():
            left = [p for p in {places!r} if os.path.exists(os.path.join(p, "left-by-a-candidate"))]
            assert left == []
        """,
    )
    assert rep.status == "passed", rep.tests[HOSTILE_ID].message


def test_a_big_file_in_the_results_folder_does_not_hide_the_test_results(calc, open_box):
    box = open_box()
    runner, rep, took = _run_hostile(
        calc,
        box,
        """\
        import os

        def test_hostile():
            # sorts before junit.xml in the archive the results come back in
            with open(os.path.join(os.environ["TREEFIX_RESULTS"], "aaa.bin"), "wb") as fh:
                fh.write(b"x" * (40 << 20))
            assert False, "wrote 40 MB of results"
        """,
    )
    assert rep.status == "failed", (rep.status, rep.detail)
    assert rep.tests[HOSTILE_ID].message == "AssertionError: wrote 40 MB of results"
    assert took < 10
    assert_still_healthy(runner, box)
