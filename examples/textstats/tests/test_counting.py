from textstats.counting import (
    average_word_length,
    line_count,
    longest_line,
    reading_time_minutes,
    sentence_count,
    top_words,
    word_frequencies,
    words,
)

POEM = "The cat sat.\nThe dog ran!\nA bird sang on.\n"


def test_words():
    assert words("Don't panic, Bob.") == ["don't", "panic", "bob"]


def test_line_count():
    assert line_count(POEM) == 3
    assert line_count("no newline") == 1
    assert line_count("") == 0


def test_sentences():
    assert sentence_count("One. Two?! Three") == 3


def test_frequencies():
    assert word_frequencies("a b a")["a"] == 2


def test_top_words():
    assert top_words("b a b c a b", n=2) == ["b", "a"]
    assert top_words(POEM, n=1, stopwords={"the"}) == ["a"]


def test_average_word_length():
    assert average_word_length("ab abcd") == 3.0


def test_average_word_length_empty():
    assert average_word_length("  ") == 0.0


def test_longest_line():
    assert longest_line("ab\nabcd\nabc") == (2, 4)


def test_longest_line_tie_goes_to_first():
    assert longest_line(POEM) == (3, 15)
    assert longest_line("abc\nxyz") == (1, 3)


def test_reading_time():
    assert reading_time_minutes("word " * 201) == 2
