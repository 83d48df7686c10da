"""In-memory tar streams for the Docker sandbox: files in, results out, nothing through the disk."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Mapping

from treefix.protocols import COVERAGE_LIMIT


def _tar(
    files: Mapping[str, bytes],
    modes: Mapping[str, int],
    prefix: str,
    dirs: Mapping[str, int] | None = None,
) -> bytes:
    """An in-memory tar: files root-owned (the candidate's uid cannot change them), dirs by uid."""
    dirs = dirs or {}
    buf = io.BytesIO()
    now = time.time()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, uid in dirs.items():
            info = tarfile.TarInfo(f"{prefix}{name}")
            info.type, info.mode, info.uid, info.gid, info.mtime = (
                tarfile.DIRTYPE,
                0o755,
                uid,
                uid,
                now,
            )
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(f"{prefix}{name}")
            info.size, info.mtime, info.uid, info.gid = len(data), now, 0, 0
            info.mode = 0o755 if modes.get(name, 0o644) & 0o111 else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class _ChunkReader(io.RawIOBase):
    """A file object over the engine's chunk iterator, so tarfile can read it as a stream."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._buf = b""
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n], self._buf = self._buf[:n], self._buf[n:]
        self.total += n
        return n


def _read_tar_text(stream, limit: int) -> dict[str, str]:
    """Read regular files out of a tar stream in memory; nothing touches the disk. Streamed: at
    most `limit` bytes of each file are kept and the rest is skipped, so a big file written into
    the results folder neither fills memory nor hides the files after it (junit.xml)."""
    out: dict[str, str] = {}
    raw = _ChunkReader(stream)
    try:
        with tarfile.open(fileobj=io.BufferedReader(raw, 1 << 16), mode="r|") as tar:
            for member in tar:
                if raw.total > 64 * limit:  # a backstop on what one run's results may cost
                    break
                if not member.isreg() or "/" not in member.name.strip("/"):
                    continue
                fh = tar.extractfile(member)
                if fh is not None:
                    name = member.name.rsplit("/", 1)[-1]
                    most = COVERAGE_LIMIT if name.startswith("coverage.json") else limit
                    out[name] = fh.read(most).decode("utf-8", "replace")
    except tarfile.TarError:
        pass
    return out
