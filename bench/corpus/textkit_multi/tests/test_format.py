from textkit.format import title_case, truncate


def test_title_case():
    assert title_case("the lord OF the rings") == "The Lord of the Rings"


def test_title_case_empty():
    assert title_case("") == ""


def test_short_text_untouched():
    assert truncate("short", 10) == "short"


def test_truncate():
    assert truncate("hello world", 6) == "hello…"


def test_truncate_length():
    assert len(truncate("abcdefghijkl", 8)) == 8
