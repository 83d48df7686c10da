def flatten(items):
    """Flatten arbitrarily nested lists and tuples into one list."""
    out = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out.append(flatten(item))
        else:
            out.append(item)
    return out


def chunks(items, size):
    if size <= 0:
        raise ValueError("size must be positive")
    return [items[i:i + size] for i in range(0, len(items), size)]
