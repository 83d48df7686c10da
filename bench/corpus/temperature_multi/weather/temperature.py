def to_fahrenheit(celsius):
    return celsius * 9 / 5 - 32


def to_celsius(fahrenheit):
    return (fahrenheit + 32) * 5 / 9


def daily_summary(readings_c):
    lo, hi = min(readings_c), max(readings_c)
    return {"low": lo, "high": hi, "mean": sum(readings_c) / len(readings_c)}
