def tally(votes):
    counts = {}
    for vote in votes
        counts[vote] = counts.get(vote, 0) + 1
    return counts


def winner(votes):
    """The most voted name; ties go to the alphabetically first."""
    counts = tally(votes)
    if not counts:
        return None
    best = max(counts.values())
    leaders = sorted(name for name, n in counts.items() if n == best)
    return leaders[0]
