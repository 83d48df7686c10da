"""ScriptedModel: replays canned responses, in order. For tests, benchmarks and offline demos.

Responses come from a list (strings, or dicts with "text" and optional "usage") or from a file:
a JSON list, or JSONL with one string or object per line. A callable `respond(request) -> str`
may be given instead. Running out of responses is a fatal provider error, never a silent stop.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from treefix.errors import FatalModelError
from treefix.models.base import Reply, Request, Usage


class ScriptedModel:
    provider = "scripted"

    def __init__(
        self,
        responses: Sequence[str | dict] = (),
        *,
        respond: Callable[[Request], str] | None = None,
        name: str = "scripted",
        cycle: bool = False,
    ):
        self.name = name
        self.responses = list(responses)
        self.respond = respond
        self.cycle = cycle
        self.requests: list[Request] = []
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path, **kw) -> ScriptedModel:
        text = Path(path).read_text(encoding="utf-8")
        if text.lstrip().startswith("["):
            items = json.loads(text)
        else:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        return cls(items, name=kw.pop("name", "scripted"), **kw)

    def complete(self, request: Request, timeout: float) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.respond is not None:
                item: str | dict = self.respond(request)
            elif not self.responses:
                raise FatalModelError("scripted model: no responses left")
            elif self.cycle:
                item = self.responses[(len(self.requests) - 1) % len(self.responses)]
            else:
                item = self.responses.pop(0)
        if isinstance(item, dict):
            u = item.get("usage") or {}
            usage = Usage(
                int(u.get("input_tokens", 0)),
                int(u.get("output_tokens", 0)),
                int(u.get("cache_read_tokens", 0)),
                int(u.get("cache_write_tokens", 0)),
            )
            return Reply(text=str(item.get("text", "")), usage=usage, model=self.name)
        prompt = sum(len(m.content) for m in request.messages) + len(request.system)
        return Reply(text=item, usage=Usage(prompt // 4, len(item) // 4), model=self.name)


class ScriptedProvider:
    """`--provider scripted --model FILE`: the registry's face of ScriptedModel."""

    def create(self, spec) -> ScriptedModel:
        if not spec.name:
            raise ValueError("--provider scripted needs --model FILE (a JSON or JSONL script)")
        return ScriptedModel.from_file(spec.name)

    def doctor(self) -> list[tuple[str, bool, str]]:
        return []  # nothing to install or configure


PROVIDER = ScriptedProvider()
