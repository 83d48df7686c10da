"""What isolation the local sandbox can give on this machine, checked at run time.

With namespaces, a run also gets its own mount namespace where the host is read-only (see
lockdown.py): a run as root could otherwise write anywhere on the machine (home files, /etc, the
user's repo by its absolute path), reach host sockets (the Docker socket) and raw devices.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache

from treefix.code.secrets import SECRET_NAMES


@dataclass(frozen=True)
class Isolation:
    namespaces: bool  # new network + PID namespaces (no network, no orphans)
    rlimits: bool  # core dumps off, file size and address space capped
    prefix: tuple[str, ...]  # argv prefix that enters the namespaces
    filesystem: bool = False  # LOCKDOWN works: read-only host, capped scratch, no capabilities

    def describe(self) -> str:
        parts = ["own process group", "timeout kills the tree", "secrets scrubbed from env"]
        if self.filesystem:
            parts.insert(
                0,
                "mount namespace: read-only host, credentials hidden, writes in capped tmpfs, no capabilities",
            )
        else:
            parts.insert(0, "NO filesystem isolation (the host is writable)")
        if self.namespaces:
            parts.insert(0, "network+PID namespaces")
        else:
            parts.insert(0, "NO namespaces (network reachable)")
        parts.append(
            "rlimits (core, fsize, memory)" if self.rlimits else "no rlimits (prlimit missing)"
        )
        return ", ".join(parts)


def _works(argv: list[str], cwd: str | None = None) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=10, cwd=cwd).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@lru_cache(maxsize=1)
def secret_paths() -> tuple[str, ...]:
    """Credential files and folders of every home on this machine, /etc/shadow, and any extra
    paths in TREEFIX_HIDE (colon-separated) - those that exist."""
    import pwd

    homes = {os.path.expanduser("~"), "/root"}
    try:
        homes.update(p.pw_dir for p in pwd.getpwall() if p.pw_dir.startswith(("/home/", "/root")))
    except OSError:
        pass
    out = [os.path.join(h, n) for h in sorted(homes) for n in SECRET_NAMES]
    out += ["/etc/shadow", "/etc/gshadow"]
    out += [p for p in os.environ.get("TREEFIX_HIDE", "").split(":") if p]
    return tuple(p for p in out if os.path.lexists(p) and not os.path.islink(p))


def lockdown_prefix(base: str, size: int, keep: list[str] | None = None) -> list[str]:
    """argv prefix that locks the run's mount namespace down (see lockdown.py); -I -S: nothing of
    the environment or site-packages is read by the interpreter doing it."""
    import json

    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lockdown.py")
    hide = "--hide=" + json.dumps(list(secret_paths()))
    kept = "--keep=" + json.dumps(sorted(set(keep or [])))
    return [sys.executable, "-I", "-S", script, hide, kept, base, str(size)]


def _lockdown_works(ns_prefix: tuple[str, ...]) -> bool:
    """Runs the lockdown once in a throwaway base: overlayfs, tmpfs, setpriv all have to work."""
    if not shutil.which("setpriv"):
        return False
    with tempfile.TemporaryDirectory(prefix="treefix-probe-") as base:
        for sub in ("project", "results", "scratch"):
            os.mkdir(os.path.join(base, sub))
        root_ro = "awk '$5 == \"/\" {print $6}' /proc/self/mountinfo | grep -q '^ro'"
        probe = f"touch project/x results/x /tmp/x && {root_ro}"
        return _works(
            [*ns_prefix, *lockdown_prefix(base, 1 << 20), "sh", "-c", f"cd {base} && {probe}"],
            # as real runs do: started inside BASE (a cwd under the host's /tmp, e.g. treefix
            # started from /tmp/proj, does not exist once /tmp is private)
            cwd=base,
        )


@lru_cache(maxsize=1)
def detect() -> Isolation:
    prefix: tuple[str, ...] = ()
    unshare = shutil.which("unshare")
    if unshare and os.environ.get("TREEFIX_NO_NAMESPACES") != "1":
        flags = [unshare, "--net", "--pid", "--mount", "--fork", "--kill-child"]
        if os.geteuid() != 0:
            flags.insert(1, "--map-root-user")
        if _works([*flags, "true"]):
            prefix = tuple(flags)
            ip = shutil.which("ip")
            # a new network namespace starts with loopback down: tests serving on 127.0.0.1 need it
            if ip and _works([*flags, ip, "link", "set", "lo", "up"]):
                prefix += ("sh", "-c", f'{ip} link set lo up 2>/dev/null; exec "$@"', "treefix-lo")
    filesystem = (
        bool(prefix) and os.environ.get("TREEFIX_NO_LOCKDOWN") != "1" and _lockdown_works(prefix)
    )
    prlimit = shutil.which("prlimit")
    return Isolation(
        namespaces=bool(prefix),
        rlimits=prlimit is not None and _works([prlimit, "--core=0", "true"]),
        prefix=prefix,
        filesystem=filesystem,
    )
