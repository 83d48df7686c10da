from brackets.check import first_unmatched, is_balanced


def test_balanced():
    assert is_balanced("(a[b]{c})") is True


def test_empty_is_balanced():
    assert is_balanced("") is True


def test_mismatch():
    assert is_balanced("(]") is False


def test_unclosed():
    assert is_balanced("((") is False


def test_first_unmatched():
    assert first_unmatched("(a))") == 3
    assert first_unmatched("[]") == -1
