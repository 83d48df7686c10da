"""A local stand-in for the Anthropic Messages API and the OpenAI Chat Completions API.

Started by tests on 127.0.0.1 in a thread; the real SDKs talk to it through their base URL.
Behaviour is a queue of steps (a reply text, an HTTP error with headers, a slow reply); when the
queue is empty, `default` (a text or a callable taking the request body) answers. Every request
is recorded, with the key header checked against `key` (a mismatch is a 401).

Tool use: a step with `tools=[(name, arguments), ...]` answers with tool calls (Anthropic
`tool_use` blocks, OpenAI `tool_calls`); the next request carries the results, which
`tool_results(body)` reads back in either protocol. `default` may also return a Step.

Usage: fixed figures by default (tests assert on them). With `count_tokens=True` the server counts
as the real APIs do, tokens estimated as characters / 4: Anthropic caches the prefix up to a
`cache_control` breakpoint (tools, then system, then messages) once it reaches 1,024 tokens; a
later request with the same prefix reads it (`cache_read_input_tokens`), a new one writes it
(`cache_creation_input_tokens`), and `input_tokens` is the rest. OpenAI caches automatically:
`prompt_tokens_details.cached_tokens` is the prefix shared with an earlier request, counted from
1,024 tokens in steps of 128. Each request's usage is kept on its `Seen`.
"""

from __future__ import annotations

import json
import os
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
    tools: list[tuple[str, dict]] = field(default_factory=list)  # tool calls to answer with


@dataclass
class Seen:
    path: str
    api: str  # anthropic | openai
    body: dict
    key: str
    status: int = 0
    usage: dict = field(default_factory=dict)  # what the server answered in `usage`


CACHE_MIN = 1024  # tokens: shorter prefixes are never cached (both APIs)
OPENAI_STEP = 128  # OpenAI counts cached tokens in steps of 128 above the minimum


def _tokens(text: str) -> int:
    return len(text) // 4


def _anthropic_segments(body: dict) -> list[tuple[str, bool]]:
    """(serialised block, carries cache_control), in the order the API caches: tools, system,
    messages."""
    out = [(json.dumps(t, sort_keys=True), "cache_control" in t) for t in body.get("tools", [])]
    system = body.get("system", "")
    if isinstance(system, str):
        out.append((system, False))
    else:
        out += [(b.get("text", ""), "cache_control" in b) for b in system]
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, str):
            out.append((m["role"] + content, False))
            continue
        for b in content:
            marked = "cache_control" in b
            out.append(
                (
                    m["role"]
                    + json.dumps(
                        {k: v for k, v in b.items() if k != "cache_control"}, sort_keys=True
                    ),
                    marked,
                )
            )
    return out


def _openai_text(body: dict) -> str:
    tools = json.dumps(body.get("tools", []), sort_keys=True)
    return tools + "".join(json.dumps(m, sort_keys=True) for m in body.get("messages", []))


class LLMServer:
    def __init__(self, key: str = "sk-test-SECRET-0123456789"):
        self.key = key
        self.steps: list[Step] = []
        self.default: str | Callable[[dict], str | Step] = "no edits"
        self.requests: list[Seen] = []
        self.count_tokens = False  # True: usage counted as the real APIs do (module docstring)
        self._cached: set[str] = set()  # Anthropic: prefixes written to the cache
        self._prompts: list[str] = []  # OpenAI: earlier prompts, for the shared prefix
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
            answer = self.default(body) if callable(self.default) else self.default
            step = answer if isinstance(answer, Step) else Step(text=answer)
        if step.delay:
            time.sleep(step.delay)
        seen.status = step.status
        if step.status != 200:
            self._error(h, api, step.status, step.text or "error", step.headers)
            return
        model = body.get("model", "")
        n = len(self.requests)
        calls = [(f"call_{n}_{i}", name, args) for i, (name, args) in enumerate(step.tools)]
        usage = self._usage(api, body, step, calls)
        seen.usage = usage
        if api == "anthropic":
            content = [{"type": "text", "text": step.text}] if step.text or not calls else []
            content += [{"type": "tool_use", "id": i, "name": nm, "input": a} for i, nm, a in calls]
            payload = {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": "tool_use" if calls else "end_turn",
                "stop_sequence": None,
                "usage": usage,
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
                        "message": {"role": "assistant", "content": step.text or None}
                        | (
                            {
                                "tool_calls": [
                                    {
                                        "id": i,
                                        "type": "function",
                                        "function": {"name": nm, "arguments": json.dumps(a)},
                                    }
                                    for i, nm, a in calls
                                ]
                            }
                            if calls
                            else {}
                        ),
                        "finish_reason": "tool_calls" if calls else "stop",
                    }
                ],
                "usage": usage,
            }
        self._send(h, 200, payload, step.headers)

    def _usage(self, api: str, body: dict, step: Step, calls: list) -> dict:
        if not self.count_tokens:
            if api == "anthropic":
                return {
                    "input_tokens": 1000,
                    "output_tokens": 200,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 500,
                }
            return {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}
        out = _tokens(step.text + json.dumps([c[1:] for c in calls]))
        with self._lock:
            if api == "anthropic":
                return self._anthropic_usage(body) | {"output_tokens": out}
            text = _openai_text(body)
            shared = max((len(os.path.commonprefix([text, p])) for p in self._prompts), default=0)
            self._prompts.append(text)
        cached = _tokens(text[:shared])
        cached = 0 if cached < CACHE_MIN else cached - (cached - CACHE_MIN) % OPENAI_STEP
        total = _tokens(text)
        return {
            "prompt_tokens": total,
            "completion_tokens": out,
            "total_tokens": total + out,
            "prompt_tokens_details": {"cached_tokens": cached},
        }

    def _anthropic_usage(self, body: dict) -> dict:
        segments = _anthropic_segments(body)
        total = _tokens("".join(t for t, _ in segments))
        prefixes = []  # the text up to each breakpoint long enough to cache
        for i, (_, marked) in enumerate(segments):
            text = "".join(t for t, _ in segments[: i + 1])
            if marked and _tokens(text) >= CACHE_MIN:
                prefixes.append(text)
        read = max((_tokens(p) for p in prefixes if p in self._cached), default=0)
        written = 0
        if prefixes and prefixes[-1] not in self._cached:
            written = _tokens(prefixes[-1]) - read
        self._cached.update(prefixes)
        return {
            "input_tokens": total - read - written,
            "cache_creation_input_tokens": written,
            "cache_read_input_tokens": read,
        }

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


def tool_results(body: dict) -> list[tuple[str, bool]]:
    """Every tool result a request carries, (content, is_error), in either protocol."""
    out = []
    for m in body.get("messages", []):
        if m.get("role") == "tool":  # OpenAI: errors are plain text
            out.append((m.get("content") or "", str(m.get("content")).startswith("refused")))
        elif isinstance(m.get("content"), list):
            for b in m["content"]:
                if b.get("type") == "tool_result":
                    text = b["content"] if isinstance(b["content"], str) else str(b["content"])
                    out.append((text, bool(b.get("is_error"))))
    return out


def prompt_text(body: dict) -> str:
    """All text of a request (system, messages, tool results), for oracles that read the prompt."""
    parts = [json.dumps(body.get("system", ""))]
    for m in body.get("messages", []):
        c = m.get("content")
        if isinstance(c, str):
            parts.append(c)
        elif isinstance(c, list):
            for b in c:
                parts.append(b.get("text") or str(b.get("content") or ""))
    return "\n".join(parts)


def serve():
    """A fixture body: `llm_server = pytest.fixture(serve, name="llm_server")` in a test module."""
    server = LLMServer().start()
    try:
        yield server
    finally:
        server.stop()
