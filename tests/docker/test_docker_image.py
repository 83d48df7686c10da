"""The treefix image itself (top-level Dockerfile): built offline from the local base with a host
wheelhouse, then `treefix --version` and one repair of a mounted repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import BUGGY, git, init_repo, write_tree

REPO = Path(__file__).resolve().parents[2]
BASE = "treefix-base:bookworm"
TAG = "treefix:test"
pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def image(docker_engine):
    import docker.errors

    try:
        docker_engine.images.get(BASE)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{BASE} is missing: run sandbox/build-offline-base.sh")
    out = subprocess.run(
        [str(REPO / "scripts/build-image.sh"), BASE, TAG], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    yield TAG
    try:
        docker_engine.images.remove(TAG)
    except docker.errors.APIError:
        pass


def test_image_prints_its_version(image):
    out = subprocess.run(["docker", "run", "--rm", image, "--version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    from treefix import __version__

    assert out.stdout.strip() == __version__


def test_image_repairs_a_mounted_repo(image, tmp_path):
    root = init_repo(write_tree(tmp_path / "shop", BUGGY))
    out = subprocess.run(
        ["docker", "run", "--rm", "-v", f"{root}:/repo", image, "repair", "/repo", "--format", "patch", "--max-evals", "150"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "+    if len(prices) >= discount_from:" in out.stdout
    assert git(root, "status", "--porcelain") == ""  # the fix is not written back by default
    assert git(root, "for-each-ref", "--format=%(refname)", "refs/treefix/snapshots").strip()
    # files the container wrote are root's; hand them back so pytest can clean up
    subprocess.run(["docker", "run", "--rm", "-v", f"{root}:/repo", "--entrypoint", "chown", image,
                    "-R", f"{__import__('os').getuid()}:{__import__('os').getgid()}", "/repo"], check=False)
