MIN_SETPOINT = 10
MAX_SETPOINT = 30


def clamp(value, lo, hi):
    return max(lo, max(value, hi))


def set_target(requested):
    return clamp(requested, MIN_SETPOINT, MAX_SETPOINT)


def heating_needed(current, target, hysteresis=1):
    return current < target - hysteresis
