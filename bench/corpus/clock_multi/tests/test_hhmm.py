import pytest

from clock.hhmm import add_minutes, format_minutes, to_minutes


def test_whole_hours():
    assert to_minutes("10:00") == 600


def test_to_minutes():
    assert to_minutes("01:30") == 90


def test_bad_time():
    with pytest.raises(ValueError):
        to_minutes("24:00")


def test_format():
    assert format_minutes(90) == "01:30"


def test_format_midnight():
    assert format_minutes(24 * 60) == "00:00"


def test_add_wraps():
    assert add_minutes("23:30", 45) == "00:15"
