import pytest

from ratelimit.window import SlidingWindowLimiter


def test_allows_up_to_limit():
    lim = SlidingWindowLimiter(3, 10)
    assert [lim.allow(t) for t in (0, 1, 2)] == [True, True, True]


def test_blocks_over_limit():
    lim = SlidingWindowLimiter(3, 10)
    for t in (0, 1, 2):
        lim.allow(t)
    assert lim.allow(3) is False


def test_window_expiry():
    lim = SlidingWindowLimiter(2, 10)
    assert lim.allow(0) and lim.allow(1)
    assert lim.allow(5) is False
    assert lim.allow(10) is True


def test_remaining():
    lim = SlidingWindowLimiter(3, 10)
    lim.allow(0)
    assert lim.remaining(0) == 2
    assert lim.remaining(10) == 3


def test_rejects_bad_config():
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0, 10)
