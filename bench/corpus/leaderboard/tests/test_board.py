from scores.board import rank, record, top


def test_rank_highest_first():
    assert rank({"ann": 5, "bob": 9, "cid": 7}) == ["bob", "cid", "ann"]


def test_top_one():
    assert top({"ann": 5, "bob": 9, "cid": 7}, 1) == ["bob"]


def test_ties_keep_insertion_order():
    assert rank({"ann": 5, "bob": 5}) == ["ann", "bob"]


def test_record_keeps_best():
    assert record({"ann": 9}, "ann", 4) == {"ann": 9}


def test_record_new_player():
    assert record({}, "bob", 3) == {"bob": 3}
