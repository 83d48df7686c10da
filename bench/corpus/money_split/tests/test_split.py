import pytest

from splitbill.split import format_cents, split_even, split_weighted


def test_even_split_exact():
    assert split_even(900, 3) == [300, 300, 300]


def test_even_split_with_remainder():
    assert split_even(1000, 3) == [334, 333, 333]


def test_shares_add_up():
    assert sum(split_even(101, 4)) == 101


def test_weighted():
    assert split_weighted(1000, [1, 1, 2]) == [250, 250, 500]


def test_format_negative():
    assert format_cents(-1234) == "-12.34"


def test_nobody():
    with pytest.raises(ValueError):
        split_even(5, 0)
