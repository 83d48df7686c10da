"""The Docker engine goes away in the middle of a run: exit 3, a partial report, and the
containers it could not remove are swept by the next run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import write_tree

pytestmark = pytest.mark.docker


class SocketProxy:
    """A unix-socket relay to the real engine that can be cut, like an engine dying."""

    def __init__(self, path: Path, target: str = "/var/run/docker.sock"):
        self.path, self.target = path, target
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(str(path))
        self.server.listen(64)
        self.conns: list[socket.socket] = []
        self.alive = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.alive:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.alive = False
        self.server.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
        self.path.unlink(missing_ok=True)


def test_engine_dying_mid_run_exits_3_with_a_partial_report_and_next_run_sweeps(
    docker_engine, sandbox_image, tmp_path
):
    proj = write_tree(
        tmp_path / "p",
        {
            "conftest.py": "",
            "slowpkg/__init__.py": "",
            "slowpkg/calc.py": "import time\n\n\ndef double(x):\n    time.sleep(0.5)\n    return x + x + 1\n",
            "tests/test_calc.py": (  # no mutation fixes this: the search is still going when the engine dies
                "from slowpkg.calc import double\n\ndef test_double():\n    assert double(2) == 41\n\n"
                "def test_zero():\n    assert double(0) == 17\n"
            ),
        },
    )
    proxy = SocketProxy(tmp_path / "engine.sock")
    env = {**os.environ, "DOCKER_HOST": f"unix://{proxy.path}"}
    exe = str(Path(sys.executable).parent / "treefix")
    errlog = tmp_path / "stderr.txt"
    proc = subprocess.Popen(
        [
            exe,
            "repair",
            str(proj),
            "--sandbox",
            "docker",
            "--image",
            sandbox_image,
            "--json",
            "--max-evals",
            "400",
        ],
        stdout=subprocess.PIPE,
        stderr=errlog.open("w"),
        text=True,
        env=env,
    )
    # wait until the search is under way (the header's `limits:` line follows the baseline),
    # then cut the engine off
    deadline = time.time() + 120
    while time.time() < deadline and "limits:" not in errlog.read_text():
        time.sleep(0.2)
    time.sleep(2)
    proxy.cut()
    out, _ = proc.communicate(timeout=120)
    err = errlog.read_text()
    assert proc.returncode == 3, err
    assert "Traceback" not in err
    report = json.loads(out)
    assert report["status"] == "error" and "Docker engine" in report["message"]
    run_dir = Path(report["run_dir"])
    assert (run_dir / "report.json").exists()
    # the dead run's containers could not be removed through the dead engine; the next run on
    # this host sweeps them because their treefix.pid is gone
    from treefix.sandbox.docker_engine import sweep

    sweep(docker_engine)
    assert (
        docker_engine.containers.list(all=True, filters={"label": f"treefix.pid={proc.pid}"}) == []
    )
