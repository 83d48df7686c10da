import pytest

from grid.region import Region

R = Region(0, 0, 10, 10)


def test_interior():
    assert R.contains(5, 5)


def test_outside():
    assert not R.contains(11, 5)
    assert not R.contains(5, -1)


def test_left_edge():
    assert R.contains(0, 5)


def test_bottom_edge():
    assert R.contains(5, 10)


def test_top_right_corner():
    assert R.contains(10, 0)


def test_cells():
    assert Region(0, 0, 2, 1).cells() == 6


def test_empty_region():
    with pytest.raises(ValueError):
        Region(3, 0, 2, 5)
