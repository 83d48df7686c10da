import pytest

from canvas.rect import Rect


def test_area():
    assert Rect(0, 0, 3, 4).area() == 12


def test_square_area():
    assert Rect(1, 1, 5, 5).area() == 25


def test_scaled_area():
    assert Rect(0, 0, 1, 2).scaled(3).area() == 18


def test_perimeter():
    assert Rect(0, 0, 3, 4).perimeter() == 14


def test_intersects():
    assert Rect(0, 0, 4, 4).intersects(Rect(3, 3, 2, 2))
    assert not Rect(0, 0, 2, 2).intersects(Rect(2, 0, 2, 2))


def test_negative_size():
    with pytest.raises(ValueError):
        Rect(0, 0, -1, 2)
