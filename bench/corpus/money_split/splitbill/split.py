"""Split an amount of cents between people so the shares add up exactly."""


def split_even(cents, people):
    if people <= 0:
        raise ValueError("need at least one person")
    base, rest = divmod(cents, people)
    shares = []
    for i in range(people):
        # The first `rest` people pay one extra cent.
        shares.append(base - 1 if i < rest else base)
    return shares


def split_weighted(cents, weights):
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights must add up to something positive")
    shares = [cents * w // total for w in weights]
    shares[0] += cents - sum(shares)
    return shares


def format_cents(cents):
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"
