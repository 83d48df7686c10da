from textstats.report import format_summary, summary


def test_summary():
    stats = summary("Hello world.\nBye now.\n")
    assert stats["lines"] == 2
    assert stats["words"] == 4
    assert stats["sentences"] == 2
    assert stats["avg_word_length"] == 4.0
    assert stats["longest_line"] == 1


def test_format_summary():
    assert format_summary({"a": 1, "bbb": 2}) == "a    1\nbbb  2"
