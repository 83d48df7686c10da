from scheduler.intervals import Interval
from scheduler.planner import busy_minutes, busy_summary, common_slot, free_slots

DAY = (9 * 60, 17 * 60)


def test_free_slots():
    busy = [Interval(600, 660), Interval(720, 780)]
    assert free_slots(busy, *DAY) == [Interval(540, 600), Interval(660, 720), Interval(780, 1020)]


def test_free_slots_min_length():
    busy = [Interval(560, 600)]
    assert free_slots(busy, *DAY, min_length=30) == [Interval(600, 1020)]


def test_common_slot():
    ann = [Interval(540, 600)]
    bob = [Interval(600, 690)]
    assert common_slot([ann, bob], 30, *DAY) == Interval(690, 720)


def test_no_common_slot():
    assert common_slot([[Interval(540, 1020)]], 15, *DAY) is None


def test_busy_summary_joins_back_to_back():
    lines = ["09:00-10:00", "10:00-11:00", "", "13:00-13:30"]
    assert busy_summary(lines) == "09:00-11:00, 13:00-13:30"


def test_busy_minutes():
    assert busy_minutes([Interval(0, 30), Interval(15, 45)]) == 45
