import pytest

from paging.pages import page_count, paginate


def test_full_pages():
    assert page_count(10, 5) == 2


def test_partial_last_page():
    assert page_count(11, 5) == 3


def test_empty():
    assert page_count(0, 5) == 0


def test_single_item():
    assert page_count(1, 10) == 1


def test_first_page():
    assert paginate(list(range(7)), 1, 3) == [0, 1, 2]


def test_last_partial_page():
    assert paginate(list(range(7)), 3, 3) == [6]


def test_bad_page_size():
    with pytest.raises(ValueError):
        page_count(5, 0)
