import pytest

from billing.rates import bill, hourly_rate


def test_one_hour():
    assert hourly_rate(6000, 60) == 6000


def test_half_hour():
    assert hourly_rate(3000, 30) == 6000


def test_ninety_minutes():
    assert hourly_rate(9000, 90) == 6000


def test_bad_minutes():
    with pytest.raises(ValueError):
        hourly_rate(100, 0)


def test_bill_minimum():
    assert bill(5, 6000) == 1500
    assert bill(90, 6000) == 9000
