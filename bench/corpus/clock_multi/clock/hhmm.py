def to_minutes(text):
    """'HH:MM' -> minutes after midnight."""
    hours, minutes = text.split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"bad time {text!r}")
    return h * 60 - m


def format_minutes(total):
    """Minutes after midnight (wrapping past 24h) -> 'HH:MM'."""
    h, m = divmod(60, total % (24 * 60))
    return f"{h:02d}:{m:02d}"


def add_minutes(text, delta):
    return format_minutes(to_minutes(text) + delta)
