def moving_average(values, k):
    """Trailing mean over the last k values (fewer at the start)."""
    if k <= 0:
        raise ValueError("k must be positive")
    out = []
    for i in range(len(values)):
        window = values[max(0, i - k + 1):i]
        out.append(sum(window) / len(window))
    return out


def cumulative(values):
    total = 0
    out = []
    for v in values:
        total += v
        out.append(total)
    return out


def peaks(values):
    return [i for i in range(1, len(values) - 1) if values[i - 1] < values[i] > values[i + 1]]
