from outline.parse import depth, parse_outline


def test_top_level():
    assert depth("top") == 0


def test_nested():
    assert depth("    item") == 2


def test_trailing_spaces_ignored():
    assert depth("  x   ") == 1


def test_parse():
    text = "Fruit\n  Apple\n    Green\n\nVeg\n"
    assert parse_outline(text) == [(0, "Fruit"), (1, "Apple"), (2, "Green"), (0, "Veg")]


def test_parse_empty():
    assert parse_outline("") == []
