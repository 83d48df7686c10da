"""Keys never leave treefix's own process: every text that may carry one goes through `scrub`."""

from __future__ import annotations

import os
import re

from treefix.sandbox.env import is_secret

# Shapes of provider keys, for texts echoing a key we were not told about.
_KEY_SHAPES = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,})")
_BEARER = re.compile(r"(?i)(bearer\s+|x-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+")


def secret_values(extra: tuple[str, ...] = ()) -> list[str]:
    vals = [v for k, v in os.environ.items() if is_secret(k) and len(v) >= 6]
    vals += [v for v in extra if v and len(v) >= 6]
    return sorted(set(vals), key=len, reverse=True)


def scrub(text: str, extra: tuple[str, ...] = ()) -> str:
    for value in secret_values(extra):
        if value in text:
            text = text.replace(value, "***")
    text = _KEY_SHAPES.sub("***", text)
    return _BEARER.sub(lambda m: m.group(1) + "***", text)
