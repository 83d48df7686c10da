import pytest

from signals.smooth import cumulative, moving_average, peaks


def test_moving_average():
    assert moving_average([2, 4, 6, 8], 2) == [2.0, 3.0, 5.0, 7.0]


def test_window_longer_than_data():
    assert moving_average([5], 3) == [5.0]


def test_empty():
    assert moving_average([], 3) == []


def test_bad_window():
    with pytest.raises(ValueError):
        moving_average([1], 0)


def test_cumulative():
    assert cumulative([1, 2, 3]) == [1, 3, 6]


def test_peaks():
    assert peaks([1, 3, 2, 5, 4]) == [1, 3]
