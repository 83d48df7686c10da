"""treefix's side of a warm server: start it in a sandbox, hand it runs, replace it when in doubt."""

from __future__ import annotations

import os
import selectors
import time
from typing import Protocol

from treefix.errors import SandboxError
from treefix.protocols import ExecRequest
from treefix.sandbox.process import ProcessResult
from treefix.testing.warm import protocol

START_TIMEOUT = 120.0  # importing a heavy project's dependencies once
REPLY_SLACK = 10.0  # beyond the run's own limit, which the server enforces itself


class WarmServerLost(SandboxError):
    """The server died or went silent during a run: the run is redone cold, never guessed."""


class Spawner(Protocol):
    """What a sandbox offers for a long-lived process (sandbox/local.py)."""

    generation: int

    def spawn(self, request: ExecRequest): ...

    def stop(self, proc) -> None: ...


class WarmServer:
    """One server in one sandbox. `modules`: what to preload (the baseline's third-party imports)."""

    def __init__(self, sandbox: Spawner, python: str, env: dict[str, str], modules: list[str]):
        self.sandbox, self.python, self.env, self.modules = sandbox, python, env, modules
        self.proc = None
        self.generation = -1
        self.ready: protocol.Ready | None = None
        self.starts = 0  # how many servers this worker started (1 + replacements)
        self.last: protocol.Done | None = None
        self._buf = b""

    def start(self) -> protocol.Ready:
        self.close()
        self.starts += 1
        self.generation = self.sandbox.generation
        self.proc = self.sandbox.spawn(
            ExecRequest([self.python, "-m", "treefix_warm"], dict(self.env), START_TIMEOUT)
        )
        self._buf = b""
        self._send(protocol.hello(self.modules))
        line = self._readline(time.monotonic() + START_TIMEOUT)
        self.ready = protocol.Ready.parse(line or "")
        if not self.ready.ok:
            self.close()
        return self.ready

    def usable(self) -> bool:
        return (
            self.proc is not None
            and self.proc.poll() is None
            and self.generation == self.sandbox.generation
        )

    def run(
        self, argv: list[str], env: dict[str, str], timeout: float, output_limit: int
    ) -> ProcessResult:
        """argv is the cold command (python -m pytest ARGS); the server runs pytest.main(ARGS)."""
        if not self.usable():
            ready = self.start()
            if not ready.ok:
                raise WarmServerLost(f"the warm server did not start: {ready.why}")
        try:
            self._send(protocol.run(argv[3:], env, timeout, output_limit))
            line = self._readline(time.monotonic() + timeout + REPLY_SLACK)
        except OSError:
            line = None
        done = protocol.Done.parse(line or "")
        if done is None:
            self.close()
            raise WarmServerLost("the warm server died or went silent during a run")
        self.last = done
        if done.polluted:  # answered, but will not serve again: replaced on the next run
            self.close()
        return done.result

    def close(self) -> None:
        if self.proc is not None:
            self.sandbox.stop(self.proc)
            self.proc = None

    def _send(self, text: str) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def _readline(self, deadline: float) -> str | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                if not sel.select(min(left, 1.0)):
                    if self.proc.poll() is not None:
                        return None
                    continue
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return None
                self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode("utf-8", "replace")
