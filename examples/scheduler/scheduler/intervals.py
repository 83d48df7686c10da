"""Busy intervals in minutes after midnight, half-open: [start, end)."""

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Interval:
    start: int
    end: int

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"interval ends before it starts: {self.start}-{self.end}")

    @property
    def length(self):
        return self.end - self.start

    def overlaps(self, other):
        return self.start < other.end and other.start < self.end


def parse_hhmm(text):
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def format_hhmm(minutes):
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_interval(text):
    start, end = text.split("-")
    return Interval(parse_hhmm(start.strip()), parse_hhmm(end.strip()))


def format_interval(iv):
    return f"{format_hhmm(iv.start)}-{format_hhmm(iv.end)}"


def merge(intervals):
    """Sorted disjoint blocks covering the intervals; touching intervals join."""
    merged = []
    for iv in sorted(intervals):
        if merged and iv.start < merged[-1].end:
            last = merged.pop()
            merged.append(Interval(last.start, max(last.end, iv.end)))
        else:
            merged.append(iv)
    return merged
