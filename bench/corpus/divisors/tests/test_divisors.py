import pytest

from numtheory.divisors import divisors, gcd_by_divisors, is_perfect, proper_divisors


def test_divisors_of_12():
    assert divisors(12) == [1, 2, 3, 4, 6, 12]


def test_divisors_of_1():
    assert divisors(1) == [1]


def test_proper_divisors():
    assert proper_divisors(12) == [1, 2, 3, 4, 6]


def test_perfect_numbers():
    assert is_perfect(28)
    assert not is_perfect(12)


def test_gcd_when_one_divides_the_other():
    assert gcd_by_divisors(4, 8) == 4


def test_gcd():
    assert gcd_by_divisors(12, 18) == 6


def test_rejects_zero():
    with pytest.raises(ValueError):
        divisors(0)
