import pytest

from timing.stopwatch import Stopwatch


def fake_clock(*times):
    it = iter(times)
    return lambda: next(it)


def test_lap():
    sw = Stopwatch(fake_clock(10, 13))
    sw.start()
    assert sw.lap() == 3


def test_total_and_fastest():
    sw = Stopwatch(fake_clock(0, 3, 4, 9))
    sw.start()
    for _ in range(3):
        sw.lap()
    assert sw.total() == 9
    assert sw.fastest() == 1


def test_lap_before_start():
    with pytest.raises(RuntimeError):
        Stopwatch(fake_clock(0)).lap()


def test_no_laps():
    assert Stopwatch(fake_clock()).fastest() is None
