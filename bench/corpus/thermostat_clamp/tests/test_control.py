from thermostat.control import heating_needed, set_target


def test_in_range():
    assert set_target(22) == 22


def test_too_cold():
    assert set_target(5) == 10


def test_too_hot():
    assert set_target(40) == 30


def test_heating():
    assert heating_needed(18, 21)
    assert not heating_needed(20.5, 21)
