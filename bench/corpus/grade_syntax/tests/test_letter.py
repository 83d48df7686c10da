import pytest

from grades.letter import letter, report


def test_perfect():
    assert letter(100) == "A+"


def test_boundaries():
    assert [letter(s) for s in (90, 89, 80, 70, 60, 59)] == ["A", "B", "B", "C", "D", "F"]


def test_out_of_range():
    with pytest.raises(ValueError):
        letter(101)


def test_report():
    assert report({"zoe": 75, "al": 95}) == {"al": "A", "zoe": "C"}
