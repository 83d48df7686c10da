import pytest

from aspect.ratio import describe, gcd, reduce_ratio


def test_rejects_zero():
    with pytest.raises(ValueError):
        reduce_ratio(0, 5)


def test_square():
    assert reduce_ratio(5, 5) == (1, 1)


def test_gcd():
    assert gcd(12, 18) == 6


def test_full_hd():
    assert describe(1920, 1080) == "16:9"


def test_portrait():
    assert reduce_ratio(600, 800) == (3, 4)
