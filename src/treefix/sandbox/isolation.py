"""What isolation the local sandbox can give on this machine, checked at run time."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Isolation:
    namespaces: bool  # new network + PID namespaces (no network, no orphans)
    rlimits: bool  # core dumps off, file size and address space capped
    prefix: tuple[str, ...]  # argv prefix that enters the namespaces

    def describe(self) -> str:
        parts = ["own process group", "timeout kills the tree", "secrets scrubbed from env"]
        if self.namespaces:
            parts.insert(0, "network+PID namespaces")
        else:
            parts.insert(0, "NO namespaces (network reachable)")
        parts.append(
            "rlimits (core, fsize, memory)" if self.rlimits else "no rlimits (prlimit missing)"
        )
        return ", ".join(parts)


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@lru_cache(maxsize=1)
def detect() -> Isolation:
    prefix: tuple[str, ...] = ()
    unshare = shutil.which("unshare")
    if unshare and os.environ.get("TREEFIX_NO_NAMESPACES") != "1":
        flags = [unshare, "--net", "--pid", "--fork", "--kill-child"]
        if os.geteuid() != 0:
            flags.insert(1, "--map-root-user")
        if _works([*flags, "true"]):
            prefix = tuple(flags)
            ip = shutil.which("ip")
            # a new network namespace starts with loopback down: tests serving on 127.0.0.1 need it
            if ip and _works([*flags, ip, "link", "set", "lo", "up"]):
                prefix += ("sh", "-c", f'{ip} link set lo up 2>/dev/null; exec "$@"', "treefix-lo")
    prlimit = shutil.which("prlimit")
    return Isolation(
        namespaces=bool(prefix),
        rlimits=bool(prlimit) and _works([prlimit, "--core=0", "true"]),
        prefix=prefix,
    )
