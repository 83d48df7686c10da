"""The environment a candidate sees: deterministic, and scrubbed of anything secret."""

from __future__ import annotations

import os

from treefix.code.secrets import is_secret

_DROP = ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "COV_CORE_", "VIRTUAL_ENV_PROMPT")


def sandbox_env(
    extra: dict[str, str] | None = None, base: dict[str, str] | None = None
) -> dict[str, str]:
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not is_secret(k) and not k.startswith(_DROP)}
    env.update(
        {
            "PYTHONHASHSEED": "0",
            "TZ": "UTC",
            "LC_ALL": "C.UTF-8",
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",  # a restored file must never meet a stale .pyc
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
            "NO_COLOR": "1",
            "CI": env.get("CI", ""),
        }
    )
    if not env["CI"]:
        del env["CI"]
    env.update(extra or {})
    return env
