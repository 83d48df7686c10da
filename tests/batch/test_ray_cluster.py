"""The Ray tests run on a real 2-node cluster inside a network namespace made here (`unshare -n`,
loopback only): outside one, Ray binds to the machine's non-loopback address."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _needs(ok: object, why: str) -> None:
    """Without it: skip, but fail under CI (which must run the Ray tests)."""
    if ok:
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off"):
        pytest.fail(f"{why} (CI must run the Ray cluster tests)")
    pytest.skip(why)


@pytest.mark.slow
@pytest.mark.ray_cluster
def test_batch_on_a_two_node_ray_cluster_in_a_network_namespace():
    _needs(shutil.which("unshare") and shutil.which("ip"), "needs util-linux unshare and iproute2")
    _needs(os.geteuid() == 0, "unshare -n needs root")
    _needs(importlib.util.find_spec("ray"), "needs the ray extra: pip install 'treefix[ray]'")
    inner = f"ip link set lo up && exec {sys.executable} -m pytest -x -q -p no:cacheprovider --durations=0 tests/batch/ray_ns/cases.py"
    r = subprocess.run(
        ["unshare", "-n", "sh", "-c", inner], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    assert re.search(r"\b13 passed\b", r.stdout), r.stdout[-2000:]
    print(r.stdout[-3000:])  # the cases' durations, for -s or a failure elsewhere
