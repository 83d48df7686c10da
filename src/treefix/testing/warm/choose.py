"""Whether candidates can run warm, and if not, the one-line reason the header shows."""

from __future__ import annotations

from treefix.testing.command import TestCommand

MODES = ("auto", "warm", "cold")
# pytest options whose runs a forked pytest cannot serve (xdist spawns and drives its own workers)
_DISTRIBUTED = ("-n", "--numprocesses", "--dist", "-d", "--looponfail", "-f", "--tx")


def cold_reason(
    mode: str,
    command: TestCommand,
    sandbox_kind: str,
    can_spawn: bool,
    modules: list[str] | None,
    python: str,
) -> str:
    """'' when the warm runner may serve; else why every run stays cold."""
    if mode == "cold":
        return "runner = cold"
    if not command.is_pytest:
        return "not a pytest command: the warm runner serves pytest only"
    if not can_spawn:
        return f"the {sandbox_kind} sandbox has no warm runner yet"
    if any(a == o or a.startswith(o + "=") for a in command.argv[3:] for o in _DISTRIBUTED):
        return "pytest-xdist style distributed runs cannot be served by a forked pytest"
    if modules is None:
        return "treefix's plugin did not report what the baseline imported"
    if any(m.startswith(("xdist.dsession", "xdist.looponfail")) for m in modules):
        return "pytest-xdist distributes this suite (addopts): a forked pytest cannot serve it"
    if python and tuple(int(p) for p in python.split(".")[:2] if p.isdigit()) < (3, 7):
        return f"Python {python} is older than the warm server supports (3.7)"
    return ""
