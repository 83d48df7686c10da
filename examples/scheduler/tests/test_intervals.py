import pytest

from scheduler.intervals import Interval, format_hhmm, merge, parse_interval


def test_parse_and_format():
    iv = parse_interval("09:30 - 10:15")
    assert iv == Interval(570, 615)
    assert format_hhmm(iv.end) == "10:15"


def test_bad_interval():
    with pytest.raises(ValueError):
        Interval(10, 5)


def test_overlaps():
    assert Interval(0, 10).overlaps(Interval(5, 15))
    assert not Interval(0, 10).overlaps(Interval(10, 20))


def test_merge_overlapping():
    assert merge([Interval(60, 120), Interval(90, 150)]) == [Interval(60, 150)]


def test_merge_keeps_gaps():
    assert merge([Interval(200, 250), Interval(60, 120)]) == [Interval(60, 120), Interval(200, 250)]


def test_merge_touching():
    assert merge([Interval(60, 120), Interval(120, 180)]) == [Interval(60, 180)]


def test_merge_contained():
    assert merge([Interval(0, 100), Interval(10, 20)]) == [Interval(0, 100)]
