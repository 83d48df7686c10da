"""The sandbox limits a user can set (`[tool.treefix]`, TREEFIX_SANDBOX_*, RepairOptions fields),
turned into each backend's limits object. Unset values keep the backend's own default."""

from __future__ import annotations

from dataclasses import replace


def local_limits(options):
    from treefix.sandbox.local import Limits

    limits = Limits()
    changes = {}
    if options.sandbox_memory_mb:
        changes["memory_bytes"] = options.sandbox_memory_mb << 20
    if options.sandbox_pids:
        changes["pids"] = options.sandbox_pids
    if options.sandbox_file_mb:
        changes["file_bytes"] = options.sandbox_file_mb << 20
    if options.sandbox_output_kb:
        changes["output_bytes"] = options.sandbox_output_kb << 10
    if options.sandbox_tmp_mb and hasattr(limits, "tmp_bytes"):
        changes["tmp_bytes"] = options.sandbox_tmp_mb << 20
    return replace(limits, **changes)


def docker_limits(options):
    from treefix.sandbox.docker import DockerLimits

    limits = DockerLimits()
    changes = {}
    if options.sandbox_memory_mb:
        changes["memory"] = f"{options.sandbox_memory_mb}m"
    if options.sandbox_pids:
        changes["pids"] = options.sandbox_pids
    if options.sandbox_file_mb:
        changes["file_bytes"] = options.sandbox_file_mb << 20
    if options.sandbox_output_kb:
        changes["output_bytes"] = options.sandbox_output_kb << 10
    if options.sandbox_tmp_mb:
        changes["tmp_size"] = f"{options.sandbox_tmp_mb}m"
    if options.sandbox_cpus:
        changes["cpus"] = options.sandbox_cpus
    return replace(limits, **changes)
