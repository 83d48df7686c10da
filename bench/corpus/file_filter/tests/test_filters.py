from findfiles.filters import has_extension, is_hidden, select


def test_extension_case_insensitive():
    assert has_extension("report.PDF", [".pdf"])


def test_other_extension():
    assert not has_extension("notes.txt", [".py"])


def test_hidden():
    assert is_hidden(".env") and not is_hidden("env")


def test_select():
    assert select(["a.py", "b.txt", ".c.py"], [".py"]) == ["a.py"]


def test_select_hidden_too():
    assert select(["a.py", ".c.py"], [".py"], include_hidden=True) == ["a.py", ".c.py"]


def test_select_nothing():
    assert select(["a.md"], [".py"]) == []
