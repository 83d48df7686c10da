from scheduler.intervals import Interval, format_interval, merge, parse_interval


def free_slots(busy, day_start, day_end, min_length=0):
    """Gaps between busy blocks inside [day_start, day_end) of at least min_length."""
    slots = []
    cursor = day_start
    for block in merge(busy):
        if block.end <= day_start or block.start >= day_end:
            continue
        if block.start > cursor:
            gap = Interval(cursor, min(block.start, day_end))
            if gap.length >= min_length:
                slots.append(gap)
        cursor = max(cursor, block.end)
    if cursor < day_end and day_end - cursor >= min_length:
        slots.append(Interval(cursor, day_end))
    return slots


def common_slot(calendars, duration, day_start, day_end):
    """Earliest slot of `duration` minutes free in every calendar, or None."""
    everyone_busy = [iv for busy in calendars for iv in busy]
    for slot in free_slots(everyone_busy, day_start, day_end, duration):
        return Interval(slot.start, slot.start + duration)
    return None


def busy_summary(lines):
    """'HH:MM-HH:MM' entries in, merged busy blocks out as one comma-separated line."""
    blocks = merge(parse_interval(line) for line in lines if line.strip())
    return ", ".join(format_interval(b) for b in blocks)


def busy_minutes(busy):
    return sum(block.length for block in merge(busy))
