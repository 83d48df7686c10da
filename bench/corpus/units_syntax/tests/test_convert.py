import pytest

from units.convert import convert, parse_length, to_meters


def test_convert():
    assert convert(1, "km", "m") == pytest.approx(1000.0)
    assert convert(250, "cm", "m") == pytest.approx(2.5)


def test_parse():
    assert parse_length("12.5 cm") == (12.5, "cm")


def test_to_meters():
    assert to_meters("3 km") == pytest.approx(3000.0)


def test_unknown_unit():
    with pytest.raises(KeyError):
        convert(1, "mi", "m")
