"""Per-candidate overhead of the local sandbox on a generated repository of many files: the time
of one `execute` of a no-op command, for a run that leaves the tree alone and for a run that
writes one file (a test that writes a cache or a log). Usage: python bench/sandbox_sync.py [N]"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from treefix.protocols import ExecRequest
from treefix.sandbox.isolation import detect
from treefix.sandbox.local import LocalSandbox
from treefix.workspace.snapshot import snapshot


def generate(root: Path, files: int) -> Path:
    for i in range(files):
        p = root / f"pkg{i % 30}" / f"mod{i}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"def f{i}(x):\n    return x + {i}\n" * 20)
    return root


def timed(sb: LocalSandbox, script: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sb.execute(
            {"pkg0/mod0.py": b"def f0(x):\n    return x\n"},
            ExecRequest(["sh", "-c", script], {}, 60),
        )
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    with tempfile.TemporaryDirectory() as tmp:
        project = snapshot(generate(Path(tmp) / "proj", files))
        iso = detect()
        # with the filesystem lockdown a run writes into an overlay; without it (no user
        # namespaces) into the scratch copy itself, which must then be put back
        for label, isolation in (
            ("lockdown", iso),
            ("no-lockdown", replace(iso, filesystem=False)),
        ):
            if label == "lockdown" and not iso.filesystem:
                continue
            sb = LocalSandbox(project, isolation=isolation)
            try:
                clean = timed(sb, "true", 5)
                writes = timed(sb, "echo x > pkg1/.cache_file", 5)
            finally:
                sb.close()
            print(
                f"{label}: files={files} clean run {clean:.3f}s, run that writes a file {writes:.3f}s"
            )


if __name__ == "__main__":
    main()
