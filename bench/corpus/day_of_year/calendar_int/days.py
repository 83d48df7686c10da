DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year, month):
    if not 1 <= month <= 12:
        raise ValueError(f"bad month {month}")
    if month == 2 and is_leap(year):
        return 29
    return DAYS_IN_MONTH[month - 1]


def day_of_year(year, month, day):
    total = 0
    for m in range(1, month):
        total += days_in_month(m, year)
    return total + day


def days_between(a, b):
    """Days from date a to date b, both (year, month, day) in the same year."""
    return day_of_year(*b) - day_of_year(*a)
