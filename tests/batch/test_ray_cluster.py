"""The Ray tests run on a real 2-node cluster inside a network namespace made here (`unshare -n`,
loopback only): outside one, Ray binds to the machine's non-loopback address."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.ray_cluster
def test_batch_on_a_two_node_ray_cluster_in_a_network_namespace():
    assert shutil.which("unshare") and shutil.which("ip"), "needs util-linux unshare and iproute2"
    assert os.geteuid() == 0, "unshare -n needs root"
    pytest.importorskip("ray", reason="pip install 'treefix[ray]'")
    inner = f"ip link set lo up && exec {sys.executable} -m pytest -x -q -p no:cacheprovider tests/batch/ray_ns/cases.py"
    r = subprocess.run(
        ["unshare", "-n", "sh", "-c", inner], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    assert " 5 passed" in r.stdout, r.stdout[-2000:]
