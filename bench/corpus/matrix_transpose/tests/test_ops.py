import pytest

from matrix.ops import is_symmetric, multiply, transpose


def test_transpose():
    assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]


def test_transpose_empty():
    assert transpose([]) == []


def test_multiply():
    assert multiply([[1, 2], [3, 4]], [[5], [6]]) == [[17], [39]]


def test_multiply_shape_mismatch():
    with pytest.raises(ValueError):
        multiply([[1, 2]], [[1, 2]])


def test_symmetric():
    assert is_symmetric([[1, 2], [2, 1]])


def test_not_symmetric():
    assert not is_symmetric([[1, 2], [3, 4]])
