"""Shared fixtures: tiny buggy projects built in temp dirs, optionally as real git repos."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

BUGGY = {
    "shop/__init__.py": "",
    "shop/cart.py": (
        "def total(prices, discount_from=3):\n"
        "    s = 0\n"
        "    for p in prices:\n"
        "        s += p\n"
        "    if len(prices) > discount_from:\n"
        "        s = s * 9 // 10\n"
        "    return s\n"
    ),
    "tests/test_cart.py": (
        "from shop.cart import total\n\n"
        "def test_empty():\n    assert total([]) == 0\n\n"
        "def test_two():\n    assert total([10, 20]) == 30\n\n"
        "def test_three_get_discount():\n    assert total([10, 20, 70]) == 90\n\n"
        "def test_four_get_discount():\n    assert total([10, 20, 30, 40]) == 90\n"
    ),
    "conftest.py": "",
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def init_repo(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (including .git) by content hash, except treefix's own run folders."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith(".treefix/") and "__pycache__" not in rel:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def buggy_project(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "proj", BUGGY)


@pytest.fixture
def buggy_repo(buggy_project: Path) -> Path:
    return init_repo(buggy_project)


@pytest.fixture(scope="session")
def docker_engine():
    """A Docker client for the engine on this machine. Without one: skip, but fail under CI."""
    from treefix.sandbox.docker_engine import probe

    ok, why = probe()
    if not ok:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off"):
            pytest.fail(f"no Docker engine: {why} (CI must run the Docker tests)")
        pytest.skip(f"no Docker engine: {why}")
    import docker

    client = docker.from_env(timeout=120)
    yield client
    client.close()


@pytest.fixture(scope="session")
def sandbox_image(docker_engine, tmp_path_factory) -> str:
    """The project image every dependency-free fixture project shares (`image_tag` hashes only the
    dependency files), built once per session; removed at the end only if this session built it."""
    import docker.errors

    from treefix.sandbox.image import build, image_tag

    root = write_tree(tmp_path_factory.mktemp("image") / "proj", BUGGY)
    tag = image_tag(root)
    try:
        docker_engine.images.get(tag)
        existed = True
    except docker.errors.ImageNotFound:
        existed = False
    assert build(root, client=docker_engine, log=lambda _: None) == tag
    yield tag
    if not existed:
        try:
            docker_engine.images.remove(tag)
        except docker.errors.APIError:  # still used by a container of another run: leave it
            pass
