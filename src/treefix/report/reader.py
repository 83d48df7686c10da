"""Reading back the JSON report `treefix repair --json` prints on stdout, for programs that drive
treefix as a subprocess (bench/run.py, bench/real/run.py): one reader, so they agree on what a
report is."""

from __future__ import annotations

import json
from typing import Any


def read_report(stdout: str) -> dict[str, Any] | None:
    """The last JSON object with a `status` that starts a line of stdout (a project's own prints
    or a stray log line may come before it); None when there is none."""
    text = stdout.strip()
    decoder = json.JSONDecoder()
    starts = [i for i, ch in enumerate(text) if ch == "{" and (i == 0 or text[i - 1] == "\n")]
    for start in reversed(starts):  # the report is the last object printed
        try:
            obj, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "status" in obj:
            return obj
    return None
