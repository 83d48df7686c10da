"""Bounded capture of a child's output: the stream is always drained, only head and tail are kept."""

from __future__ import annotations

from collections import deque


class CappedBuffer:
    """Keeps the first `head` bytes and the last `limit - head` bytes of a stream."""

    def __init__(self, limit: int = 1 << 20, head: int = 64 << 10):
        self.limit = limit
        self.head_limit = min(head, limit // 2)  # a small limit still keeps a tail
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self.tail.append(chunk)
        self.tail_size += len(chunk)
        tail_limit = self.limit - self.head_limit
        while self.tail and self.tail_size - len(self.tail[0]) >= tail_limit:
            self.tail_size -= len(self.tail.popleft())

    @property
    def truncated(self) -> bool:
        return self.total > self.limit

    def text(self) -> str:
        tail = b"".join(self.tail)
        tail_limit = self.limit - self.head_limit
        if self.truncated:
            tail = tail[len(tail) - tail_limit :] if tail_limit > 0 else b""
            skipped = self.total - len(self.head) - len(tail)
            data = bytes(self.head) + f"\n[... {skipped} bytes not kept ...]\n".encode() + tail
        else:
            data = bytes(self.head) + tail
        return data.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
