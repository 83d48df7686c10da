from quickcsv.fields import parse, split_fields


def test_simple():
    assert split_fields("a,b,c") == ["a", "b", "c"]


def test_quoted_separator():
    assert split_fields('x,"1,5",y') == ["x", "1,5", "y"]


def test_empty_line_is_one_field():
    assert split_fields("") == [""]


def test_other_separator():
    assert split_fields("a;b", sep=";") == ["a", "b"]


def test_parse_skips_blank_lines():
    assert parse("a,b\n\nc,d\n") == [["a", "b"], ["c", "d"]]


def test_parse_nothing():
    assert parse("\n\n") == []
