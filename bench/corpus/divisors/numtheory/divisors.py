def divisors(n):
    """All positive divisors of n, ascending, n included."""
    if n <= 0:
        raise ValueError("n must be positive")
    found = []
    for d in range(1, n):
        if n % d == 0:
            found.append(d)
    return found


def proper_divisors(n):
    return [d for d in divisors(n) if d != n]


def is_perfect(n):
    return sum(proper_divisors(n)) == n


def gcd_by_divisors(a, b):
    common = set(divisors(a)) & set(divisors(b))
    return max(common)
