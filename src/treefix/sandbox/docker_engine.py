"""Finding and talking to a Docker engine: probe, client, sweeping containers of dead runs."""

from __future__ import annotations

import os
import socket
from functools import lru_cache

from treefix.errors import SandboxUnavailable
from treefix.extras import available
from treefix.sandbox.backends import SANDBOXES
from treefix.sandbox.process import pid_alive

LABEL = "treefix"  # every container treefix starts carries it


@lru_cache(maxsize=1)
def probe() -> tuple[bool, str]:
    """(answers, one line). Cheap when there is obviously no engine; never raises."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host and not os.path.exists("/var/run/docker.sock"):
        return False, "no Docker engine (no /var/run/docker.sock and DOCKER_HOST unset)"
    if not available("docker"):
        return False, SANDBOXES["docker"].missing("docker")
    try:
        import docker

        client = docker.from_env(timeout=5)
        version = client.version().get("Version", "?")
        client.close()
    except Exception as exc:  # any failure means: not usable
        where = host or "/var/run/docker.sock"
        if "Permission denied" in str(exc):  # the socket is there but not ours to use
            return (
                False,
                f"permission denied on the Docker socket {where}: add your user to the "
                "'docker' group (then log in again) or point DOCKER_HOST at an engine you may use",
            )
        return False, f"the Docker engine at {where} does not answer ({type(exc).__name__})"
    return True, f"engine {version} answers at {host or '/var/run/docker.sock'}"


def client(timeout: int = 60):
    """A client honouring DOCKER_HOST (tcp://, ssh://, unix://) and the usual TLS variables."""
    ok, why = probe()
    if not ok:
        raise SandboxUnavailable(
            f"--sandbox docker: {why}; install/start Docker or use --sandbox local"
        )
    import docker

    return docker.from_env(timeout=timeout)


def sweep(docker_client) -> int:
    """Remove containers left behind by treefix runs on this host whose process is gone."""
    removed = 0
    host = socket.gethostname()
    for c in docker_client.containers.list(all=True, filters={"label": LABEL}):
        labels = c.labels or {}
        try:
            pid = int(labels.get("treefix.pid", "0"))
        except ValueError:
            pid = 0
        if labels.get("treefix.host") == host and pid and not pid_alive(pid):
            try:
                c.remove(force=True)
                removed += 1
            except Exception:  # already gone
                pass
    return removed
