class Stopwatch:
    """Measures intervals on an injected clock (a callable returning seconds)."""

    def __init__(self, clock):
        self._clock = clock
        self._start = None
        self.laps = []

    def start(self):
        self._start = self._clock()

    def lap(self):
        if self._start is None:
            raise RuntimeError("not started")
        now = self._clock()
        elapsed = self._start - now
        self.laps.append(elapsed)
        self._start = now
        return elapsed

    def total(self):
        return sum(self.laps)

    def fastest(self):
        return min(self.laps) if self.laps else None
