from shellhist.history import History


def test_add_and_len():
    h = History()
    h.add("ls")
    h.add("cd /tmp")
    assert len(h) == 2


def test_repeats_collapse():
    h = History()
    h.add("ls")
    h.add("ls")
    assert len(h) == 1


def test_blank_ignored():
    h = History()
    h.add("   ")
    assert len(h) == 0


def test_limit():
    h = History(limit=2)
    for cmd in ("a", "b", "c"):
        h.add(cmd)
    assert h.search("") == ["c", "b"]


def test_last_empty():
    assert History().last() is None


def test_last():
    h = History()
    h.add("make")
    h.add("make test")
    assert h.last() == "make test"


def test_search_newest_first():
    h = History()
    for cmd in ("git status", "ls", "git push"):
        h.add(cmd)
    assert h.search("git") == ["git push", "git status"]
