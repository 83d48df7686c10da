FACTORS = {
    "mm": 0.001,
    "cm": 0.01,
    "m": 1.0,
    "km": 1000.0,
}


def convert(value, src, dst):
    if src not in FACTORS or dst not in FACTORS:
        raise KeyError(f"unknown unit {src!r} or {dst!r}")
    return value * FACTORS[src] / FACTORS[dst]


def parse_length(text):
    number, unit = text.split()
    return float(number), unit


def to_meters(text):
    value, unit = parse_length(text
    return convert(value, unit, "m")
