import pytest

from shapes.bbox import bounding_box, box_area, centroid


def test_box():
    assert bounding_box([(0, 0), (2, 3), (1, -1)]) == (0, -1, 2, 3)


def test_single_point():
    assert bounding_box([(1, 1)]) == (1, 1, 1, 1)


def test_square():
    assert bounding_box([(0, 0), (4, 4)]) == (0, 0, 4, 4)


def test_area():
    assert box_area(bounding_box([(0, 0), (2, 5)])) == 10


def test_centroid():
    assert centroid([(0, 0), (2, 4)]) == (1.0, 2.0)


def test_empty():
    with pytest.raises(ValueError):
        bounding_box([])
