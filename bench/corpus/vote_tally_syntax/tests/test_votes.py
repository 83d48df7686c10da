from tally.votes import tally, winner


def test_tally():
    assert tally(["a", "b", "a"]) == {"a": 2, "b": 1}


def test_winner():
    assert winner(["x", "y", "y"]) == "y"


def test_tie_goes_to_first_name():
    assert winner(["b", "a"]) == "a"


def test_no_votes():
    assert winner([]) is None
