"""A long-lived process in a Docker sandbox's container (the warm test server), as a Popen look-alike.

The warm client (testing/warm/client.py) speaks JSON lines over a process's stdin/stdout and
waits on `stdout.fileno()` with a selector. `docker exec` with stdin attached gives one socket
that carries both directions, stdout framed by the engine's 8-byte multiplexing headers: a
thread unframes it into a pipe, so the client reads it exactly as it reads a local process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from treefix.errors import SandboxError

KILL_ALL = ["sh", "-c", "kill -KILL -1 2>/dev/null; true"]  # as the candidate's uid: all of its


class _Stdin:
    """Writes go to the exec's socket (the engine forwards them to the process's stdin)."""

    def __init__(self, sock):
        self._sock = sock

    def write(self, data: bytes) -> int:
        self._sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class ExecProcess:
    """`docker exec -i` of argv in a running container, with Popen's poll/kill/wait/stdin/stdout."""

    def __init__(
        self,
        api,
        container_id: str,
        argv: list[str],
        env: Mapping[str, str],
        user: str,
        workdir: str,
    ):
        self._api, self._container = api, container_id
        self._user = user
        self.exec_id = api.exec_create(
            container_id,
            argv,
            stdin=True,
            stdout=True,
            stderr=False,  # the server's stderr is not part of the protocol
            tty=False,
            user=user,
            environment=dict(env),
            workdir=workdir,
        )["Id"]
        raw = api.exec_start(self.exec_id, socket=True)
        # docker-py gives a SocketIO over the engine's connection; reads and writes use the socket
        self._sock = getattr(raw, "_sock", raw)
        self.pid = -1  # not a host process: stop() kills it inside the container
        self.returncode: int | None = None
        read_end, self._write_end = os.pipe()
        self.stdout = os.fdopen(read_end, "rb", buffering=0)
        self.stdin = _Stdin(self._sock)
        self._ended = threading.Event()
        self._reader = threading.Thread(target=self._unframe, daemon=True)
        self._reader.start()

    def _unframe(self) -> None:
        from docker.utils.socket import STDOUT, frames_iter

        try:
            for stream, data in frames_iter(self._sock, tty=False):
                if stream == STDOUT and data:
                    os.write(self._write_end, data)
        except OSError:
            pass  # the connection went away: the process ended or the container is gone
        finally:
            self._ended.set()
            os.close(self._write_end)

    def poll(self) -> int | None:
        if self.returncode is None and self._ended.is_set():
            try:
                code = self._api.exec_inspect(self.exec_id).get("ExitCode")
            except Exception:  # the container was removed with the process in it
                code = None
            self.returncode = -9 if code is None else int(code)
        return self.returncode

    def kill(self) -> None:
        """Every process of the candidate's uid in the container: the server and anything a
        candidate left behind (the container is one worker's, so nothing else runs as that uid)."""
        try:
            self._api.exec_start(self._api.exec_create(self._container, KILL_ALL, user=self._user))
        except Exception:  # the engine or the container is gone: so is the process
            pass
        try:
            self._sock.close()
        except OSError:
            pass

    def wait(self, timeout: float | None = 10.0) -> int:
        self._reader.join(timeout)
        return self.poll() if self._ended.is_set() else -9  # type: ignore[return-value]


def spawn(api, container_id: str, argv: list[str], env: Mapping[str, str], user: str, workdir: str):
    try:
        return ExecProcess(api, container_id, argv, env, user, workdir)
    except Exception as exc:  # docker.errors.DockerException, requests errors: lazily imported
        raise SandboxError(f"cannot start {argv[0]!r} in the sandbox container: {exc}") from None


def stop(proc: ExecProcess) -> None:
    proc.kill()
    proc.wait(5.0)
    try:
        proc.stdout.close()
    except OSError:
        pass
