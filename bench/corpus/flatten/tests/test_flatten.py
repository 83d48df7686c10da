from nested.flatten import chunks, flatten


def test_flat_input():
    assert flatten([1, 2]) == [1, 2]


def test_empty():
    assert flatten([]) == []


def test_one_level():
    assert flatten([1, [2, 3]]) == [1, 2, 3]


def test_deep_and_tuples():
    assert flatten([[1, (2, [3])], 4]) == [1, 2, 3, 4]


def test_chunks():
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
