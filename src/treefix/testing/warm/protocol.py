"""The JSON-lines protocol between treefix and its warm server (support/treefix_warm.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from treefix.sandbox.process import ProcessResult


def hello(modules: list[str]) -> str:
    return json.dumps({"op": "hello", "modules": modules}) + "\n"


def run(args: list[str], env: dict[str, str], timeout: float, output_limit: int) -> str:
    return (
        json.dumps(
            {
                "op": "run",
                "args": args,
                "env": env,
                "timeout": timeout,
                "output_limit": output_limit,
            }
        )
        + "\n"
    )


@dataclass
class Ready:
    ok: bool
    why: str = ""
    preloaded: int = 0
    failed: list[str] = field(default_factory=list)
    python: str = ""
    pytest: str = ""
    rss_kb: int = 0  # the server's resident memory after preloading

    @classmethod
    def parse(cls, line: str) -> Ready:
        rec = _record(line, "ready")
        if rec is None:
            return cls(ok=False, why="the server did not start (no answer)")
        return cls(
            ok=bool(rec.get("ok")),
            why=str(rec.get("why", "")),
            preloaded=int(rec.get("preloaded", 0)),
            failed=[str(f) for f in rec.get("failed", [])],
            python=str(rec.get("python", "")),
            pytest=str(rec.get("pytest", "")),
            rss_kb=int(rec.get("rss_kb", 0) or 0),
        )


@dataclass
class Done:
    """One child's run, as the server saw it: its exit, output, and resource use."""

    result: ProcessResult
    polluted: str = ""  # why the server will not serve again ("" if it will)
    maxrss_kb: int = 0
    cpu: float = 0.0

    @classmethod
    def parse(cls, line: str) -> Done | None:
        rec = _record(line, "done")
        if rec is None:
            return None
        rc = rec.get("rc")
        return cls(
            result=ProcessResult(
                returncode=int(rc) if isinstance(rc, int) else None,
                stdout=str(rec.get("stdout", "")),
                stderr=str(rec.get("stderr", "")),
                duration=float(rec.get("duration", 0.0)),
                timed_out=bool(rec.get("timed_out")),
                truncated=bool(rec.get("truncated")),
                oom=bool(rec.get("oom")),
                pids_limited=bool(rec.get("pids_limited")),
                artifacts=_texts(rec.get("artifacts")),
            ),
            polluted=str(rec.get("polluted", "")),
            maxrss_kb=int(rec.get("maxrss_kb", 0)),
            cpu=float(rec.get("cpu", 0.0)),
        )


def _texts(value) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def _record(line: str, event: str) -> dict | None:
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    return rec if isinstance(rec, dict) and rec.get("event") == event else None
