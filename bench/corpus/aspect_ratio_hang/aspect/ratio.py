def gcd(a, b):
    """Greatest common divisor by repeated subtraction (screen sizes are small)."""
    while a != b:
        if a < b:
            a -= b
        else:
            b -= a
    return a


def reduce_ratio(width, height):
    if width <= 0 or height <= 0:
        raise ValueError("sides must be positive")
    g = gcd(width, height)
    return width // g, height // g


def describe(width, height):
    w, h = reduce_ratio(width, height)
    return f"{w}:{h}"
