import pytest

from weather.temperature import daily_summary, to_celsius, to_fahrenheit


def test_boiling_in_fahrenheit():
    assert to_fahrenheit(100) == pytest.approx(212)


def test_freezing_in_fahrenheit():
    assert to_fahrenheit(0) == pytest.approx(32)


def test_body_temperature_in_celsius():
    assert to_celsius(98.6) == pytest.approx(37)


def test_minus_forty_in_celsius():
    assert to_celsius(-40) == pytest.approx(-40)


def test_summary():
    assert daily_summary([10, 20, 15]) == {"low": 10, "high": 20, "mean": 15}
