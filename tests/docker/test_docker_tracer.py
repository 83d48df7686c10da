"""Per-test coverage in the Docker sandbox: treefix's C tracer (coverage.py's CTracer, shipped from
the host's coverage.py beside the plugin) loads inside the container when the image's Python has
the host's ABI, and records each test's own lines."""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

import pytest

from tests.conftest import BUGGY
from tests.docker.docker_helpers import make_project, open_sandbox, runner_for
from treefix.sandbox.ctracer import ctracer_path

pytestmark = pytest.mark.docker

FAILING = "tests/test_cart.py::test_three_get_discount"


def _image_abi(client, image: str) -> tuple[str, bool]:
    """The image's extension suffix and whether its Python has sys.monitoring."""
    code = "import importlib.machinery as m, sys; print(m.EXTENSION_SUFFIXES[0], hasattr(sys, 'monitoring'))"
    out = client.containers.run(image, ["python3", "-c", code], remove=True, network_mode="none")
    suffix, _, monitoring = out.decode().strip().partition(" ")
    return suffix, monitoring == "True"


def test_the_baseline_in_docker_is_traced_by_the_c_tracer_with_each_tests_lines(
    tmp_path: Path, docker_engine, sandbox_image
) -> None:
    project = make_project(tmp_path / "p", BUGGY)
    runner = runner_for(project)
    box = open_sandbox(project, docker_engine, sandbox_image, "t-ctracer")
    try:
        report = runner.run(box, {}, None, timeout=60, per_test_timeout=10, coverage=True)
    finally:
        box.close()
    assert report.status == "failed", (report.status, report.detail, report.output[-2000:])
    assert report.failing() == [FAILING]
    # per-test coverage: each test's own lines of the code under test (the module body, line 1,
    # ran at import: no test's); only the four-item test reaches the discount (line 6)
    assert report.coverage is not None
    cart = {t: sorted(files.get("shop/cart.py", [])) for t, files in report.coverage.items()}
    assert cart == {
        "tests/test_cart.py::test_empty": [2, 3, 5, 7],
        "tests/test_cart.py::test_two": [2, 3, 4, 5, 7],
        FAILING: [2, 3, 4, 5, 7],
        "tests/test_cart.py::test_four_get_discount": [2, 3, 4, 5, 6, 7],
    }
    assert sorted(report.coverage[FAILING]["tests/test_cart.py"]) == [10]

    host = importlib.machinery.EXTENSION_SUFFIXES[0]
    suffix, monitoring = _image_abi(docker_engine, sandbox_image)
    tracer = runner.harness.tracer
    if ctracer_path() and suffix == host and not monitoring:
        # never the image's own coverage.py collector (Debian's python3-coverage is there): it
        # would hold every test's lines to the end of the run
        assert tracer == "ctracer", f"the image's Python has the host's ABI ({host}), yet {tracer!r}"
        assert runner.harness.notes() == []  # the usual case: nothing to say
        return
    # another ABI: the shipped tracer cannot load there, and the plugin must not pretend it did
    assert tracer != "ctracer"
    pytest.skip(
        f"the image's Python ({suffix}, sys.monitoring {monitoring}) is not the host's ABI ({host}) "
        f"or has no use for it: coverage was recorded by {tracer!r}, not the shipped C tracer"
    )
