from runs.grouping import group_consecutive, sessions


def test_small_ints():
    assert group_consecutive([1, 1, 2, 2, 1], key=lambda x: x) == [[1, 1], [2, 2], [1]]


def test_empty():
    assert group_consecutive([], key=lambda x: x) == []


def test_sessions():
    events = [
        ("ann", 1, "login"),
        ("ann", 1, "view"),
        ("bob", 1, "login"),
        ("ann", 2, "login"),
    ]
    assert [len(g) for g in sessions(events)] == [2, 1, 1]


def test_words_by_lowercase():
    words = ["Apple", "APPLE", "pear"]
    groups = group_consecutive(words, key=lambda w: w.lower() + "!")
    assert groups == [["Apple", "APPLE"], ["pear"]]
