import pytest

from rpn.machine import evaluate


def test_add_and_multiply():
    assert evaluate("3 4 + 2 *") == 14


def test_subtract():
    assert evaluate("10 4 -") == 6


def test_divide():
    assert evaluate("20 3 /") == 6


def test_single_number():
    assert evaluate("42") == 42


def test_missing_operand():
    with pytest.raises(ValueError):
        evaluate("1 +")


def test_leftover_operand():
    with pytest.raises(ValueError):
        evaluate("1 2")
