"""A local stand-in for the Anthropic Messages API and the OpenAI Chat Completions API.

Started by tests on 127.0.0.1 in a thread; the real SDKs talk to it through their base URL.
Behaviour is a queue of steps (a reply text, an HTTP error with headers, a slow reply); when the
queue is empty, `default` (a text or a callable taking the request body) answers. Every request
is recorded, with the key header checked against `key` (a mismatch is a 401).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Step:
    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    path: str
    api: str  # anthropic | openai
    body: dict
    key: str
    status: int = 0


class LLMServer:
    def __init__(self, key: str = "sk-test-SECRET-0123456789"):
        self.key = key
        self.steps: list[Step] = []
        self.default: str | Callable[[dict], str] = "no edits"
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server._handle(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LLMServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def push(self, *steps: Step | str) -> None:
        with self._lock:
            self.steps.extend(Step(text=s) if isinstance(s, str) else s for s in steps)

    def count(self, api: str | None = None) -> int:
        return sum(1 for r in self.requests if api is None or r.api == api)

    # -- the two APIs -------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        if h.path.rstrip("/").endswith("/messages"):
            api = "anthropic"
            key = h.headers.get("x-api-key") or (h.headers.get("authorization") or "").removeprefix(
                "Bearer "
            )
        elif h.path.rstrip("/").endswith("/chat/completions"):
            api = "openai"
            key = (h.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        else:
            self._send(h, 404, {"error": {"type": "not_found", "message": h.path}})
            return
        seen = Seen(h.path, api, body, key)
        with self._lock:
            self.requests.append(seen)
            step = self.steps.pop(0) if self.steps else None
        if key != self.key:
            seen.status = 401
            self._error(h, api, 401, "invalid x-api-key", {})
            return
        if step is None:
            text = self.default(body) if callable(self.default) else self.default
            step = Step(text=text)
        if step.delay:
            time.sleep(step.delay)
        seen.status = step.status
        if step.status != 200:
            self._error(h, api, step.status, step.text or "error", step.headers)
            return
        model = body.get("model", "")
        if api == "anthropic":
            payload = {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": step.text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 1000,
                    "output_tokens": 200,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 500,
                },
            }
        else:
            payload = {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": step.text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
            }
        self._send(h, 200, payload, step.headers)

    def _error(self, h, api: str, status: int, message: str, headers: dict) -> None:
        kind = {401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error"}.get(
            status, "api_error"
        )
        if api == "anthropic":
            payload = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            payload = {"error": {"type": kind, "message": message, "code": str(status)}}
        self._send(h, status, payload, headers)

    @staticmethod
    def _send(h, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass


def serve():
    """A fixture body: `llm_server = pytest.fixture(serve, name="llm_server")` in a test module."""
    server = LLMServer().start()
    try:
        yield server
    finally:
        server.stop()
