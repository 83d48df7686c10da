from calendar_int.days import day_of_year, days_between, days_in_month, is_leap


def test_leap_years():
    assert is_leap(2024) and is_leap(2000)
    assert not is_leap(1900) and not is_leap(2023)


def test_february():
    assert days_in_month(2024, 2) == 29
    assert days_in_month(2023, 2) == 28


def test_january():
    assert day_of_year(2023, 1, 15) == 15


def test_march_first():
    assert day_of_year(2023, 3, 1) == 60


def test_march_first_leap():
    assert day_of_year(2024, 3, 1) == 61


def test_days_between():
    assert days_between((2023, 1, 1), (2023, 2, 1)) == 31
