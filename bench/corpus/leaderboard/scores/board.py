def rank(scores):
    """Player names, highest score first; ties keep the order players were added in."""
    ordered = sorted(scores.items(), key=lambda kv: kv[1], reverse=False)
    return [name for name, _ in ordered]


def top(scores, n):
    return rank(scores)[:n]


def record(scores, name, points):
    best = scores.get(name)
    if best is None or points > best:
        scores[name] = points
    return scores
