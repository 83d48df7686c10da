def group_consecutive(items, key):
    """Split items into runs of neighbours that share the same key."""
    groups = []
    last_key = None
    for item in items:
        k = key(item)
        if groups and k is last_key:
            groups[-1].append(item)
        else:
            groups.append([item])
        last_key = k
    return groups


def sessions(events):
    """Group (user, day, action) events into consecutive runs per (user, day)."""
    return group_consecutive(events, key=lambda e: (e[0], e[1]))
