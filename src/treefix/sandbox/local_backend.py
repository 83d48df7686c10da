"""The local backend: a scratch copy per worker, run as a process group under the isolation this
host offers (namespaces, cgroups, rlimits). Always available, so `auto` falls back to it."""

from __future__ import annotations

from treefix.sandbox.isolation import detect
from treefix.sandbox.local import Limits, LocalSandbox
from treefix.sandbox.settings import KIB, MIB, limits_from


class LocalBackend:
    python = None  # the tests run with the host's interpreter (detected from the project)
    auto_rank = 100  # tried last by `auto`: it is the fallback
    remedy = ""
    FIELDS = {
        "sandbox_memory_mb": ("memory_bytes", lambda v: v * MIB),
        "sandbox_pids": ("pids", int),
        "sandbox_file_mb": ("file_bytes", lambda v: v * MIB),
        "sandbox_output_kb": ("output_bytes", lambda v: v * KIB),
        "sandbox_tmp_mb": ("tmp_bytes", lambda v: v * MIB),
    }  # sandbox_cpus: no per-worker CPU quota locally

    def probe(self) -> tuple[bool, str]:
        return True, "a scratch copy per worker"

    def available(self, project, image) -> tuple[bool, str]:
        return True, ""

    def image(self, project, image) -> str | None:
        return None

    def limits(self, options):
        return limits_from(options, Limits(), self.FIELDS)

    def create(self, project, n: int, run_id: str, image, limits) -> list:
        return [LocalSandbox(project, label=f"{run_id}-w{i}", limits=limits) for i in range(n)]

    def doctor(self) -> list[tuple[str, bool, str]]:
        iso = detect()
        return [
            ("sandbox local", True, iso.describe()),
            (
                "namespaces",
                iso.namespaces,
                "network + PID namespaces via unshare"
                if iso.namespaces
                else "unavailable: candidates can reach the network",
            ),
            (
                "rlimits",
                iso.rlimits,
                "prlimit: core 0, file size, address space" if iso.rlimits else "prlimit missing",
            ),
        ]


BACKEND = LocalBackend()
