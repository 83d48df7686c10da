"""The sandbox limits a user can set (`[tool.treefix]`, TREEFIX_SANDBOX_*, SandboxOptions fields),
turned into each backend's limits object. Unset values keep the backend's own default."""

from __future__ import annotations

from dataclasses import replace

MIB, KIB = 1 << 20, 1 << 10

# setting -> (local Limits field, docker DockerLimits field, how the value converts)
_FIELDS = {
    "sandbox_memory_mb": ("memory_bytes", "memory", (lambda v: v * MIB, lambda v: f"{v}m")),
    "sandbox_pids": ("pids", "pids", (int, int)),
    "sandbox_file_mb": ("file_bytes", "file_bytes", (lambda v: v * MIB,) * 2),
    "sandbox_output_kb": ("output_bytes", "output_bytes", (lambda v: v * KIB,) * 2),
    "sandbox_tmp_mb": ("tmp_bytes", "tmp_size", (lambda v: v * MIB, lambda v: f"{v}m")),
    "sandbox_cpus": (None, "cpus", (None, float)),  # Docker only
}


def _changes(options, backend: int) -> dict:
    out = {}
    for setting, (*fields, converts) in _FIELDS.items():
        value = getattr(options, setting, None)
        if value and fields[backend] is not None:
            out[fields[backend]] = converts[backend](value)
    return out


def local_limits(options):
    from treefix.sandbox.local import Limits

    return replace(Limits(), **_changes(options, 0))


def docker_limits(options):
    from treefix.sandbox.docker import DockerLimits

    return replace(DockerLimits(), **_changes(options, 1))
