"""Containers come and go with the run: labelled, removed by close(), swept when their run died,
and none left after a whole `treefix repair --sandbox docker`."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import docker.errors
import pytest
from typer.testing import CliRunner

from tests.conftest import tree_digest
from tests.docker.docker_helpers import make_project, open_sandbox, treefix_containers
from treefix.cli.app import app
from treefix.sandbox.docker_engine import sweep

pytestmark = pytest.mark.docker

FAST = ["--max-evals", "150", "--time-limit", "90", "--workers", "2", "--seed", "0"]


def _gone(client, container_id: str) -> bool:
    try:
        client.containers.get(container_id)
    except docker.errors.NotFound:
        return True
    return False


def test_labels_then_close_removes_the_container(tmp_path, docker_engine, sandbox_image):
    sb = open_sandbox(make_project(tmp_path / "calc"), docker_engine, sandbox_image, "t-life")
    try:
        cid = sb.container.id
        sb.container.reload()
        assert sb.container.status == "running"
        labels = sb.container.labels
        assert labels["treefix"] == "1"
        assert labels["treefix.run"] == "t-life"
        assert labels["treefix.pid"] == str(os.getpid())
        assert labels["treefix.host"] == socket.gethostname()
        assert sb.container.name.startswith("treefix-t-life-w0-")
        assert [c.id for c in treefix_containers(docker_engine)] == [cid]
        assert "no network" in sb.isolation and "uid 1000" in sb.isolation
    finally:
        sb.close()
    assert _gone(docker_engine, cid)
    sb.close()  # closing twice is harmless


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_sweep_removes_containers_of_dead_runs_only(docker_engine, sandbox_image):
    host = socket.gethostname()

    def labelled(pid: int, on_host: str):
        return docker_engine.containers.create(
            sandbox_image,
            ["sleep", "infinity"],
            network_mode="none",
            labels={
                "treefix": "1",
                "treefix.run": "t-sweep",
                "treefix.pid": str(pid),
                "treefix.host": on_host,
            },
        )

    dead = labelled(_dead_pid(), host)
    alive = labelled(os.getpid(), host)
    elsewhere = labelled(_dead_pid(), host + "-another-machine")  # its pid means nothing here
    try:
        assert sweep(docker_engine) >= 1
        assert _gone(docker_engine, dead.id)
        assert not _gone(docker_engine, alive.id)
        assert not _gone(docker_engine, elsewhere.id)
    finally:
        for c in (dead, alive, elsewhere):
            try:
                c.remove(force=True)
            except docker.errors.NotFound:
                pass


def _repair(path: Path, sandbox: str):
    result = CliRunner().invoke(app, ["repair", str(path), "--json", "--sandbox", sandbox, *FAST])
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result, report


def test_repair_in_docker_finds_the_local_fix_and_leaves_nothing_behind(
    buggy_project: Path, tmp_path: Path, docker_engine, sandbox_image
):
    twin = tmp_path / "twin"
    shutil.copytree(buggy_project, twin)
    before = tree_digest(buggy_project)

    result, report = _repair(buggy_project, "docker")

    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed"
    assert report["sandbox"]["kind"] == "docker"
    assert report["sandbox"]["isolation"].startswith(f"docker container {sandbox_image}")
    assert report["fix"]["files"] == ["shop/cart.py"]
    assert treefix_containers(docker_engine) == []
    assert tree_digest(buggy_project) == before  # the user's files, byte for byte

    local_result, local = _repair(twin, "local")
    assert local_result.exit_code == 0, local_result.output
    assert local["sandbox"]["kind"] == "local"
    assert report["fix"]["patch"] == local["fix"]["patch"]
    assert report["targets"] == local["targets"]
