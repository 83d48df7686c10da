from wordplay.words import clean, longest_word, word_lengths


def test_longest():
    assert longest_word("a quick brown fox") == "quick"


def test_tie_first_wins():
    assert longest_word("cat dog") == "cat"


def test_last_is_longest():
    assert longest_word("to be continued") == "continued"


def test_clean():
    assert clean("(hello!)") == "hello"


def test_lengths():
    assert word_lengths("hi, there") == [2, 5]
