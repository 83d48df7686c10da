"""A sliding-window rate limiter driven by explicit timestamps (seconds)."""

from collections import deque


class SlidingWindowLimiter:
    def __init__(self, limit, window):
        if limit <= 0 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self._hits = deque()

    def _expire(self, now):
        # A hit exactly `window` seconds old no longer counts.
        while self._hits and self._hits[0] <= now - self.window:
            self._hits.popleft()

    def allow(self, now):
        self._expire(now)
        if len(self._hits) <= self.limit:
            self._hits.append(now)
            return True
        return False

    def remaining(self, now):
        self._expire(now)
        return self.limit - len(self._hits)
