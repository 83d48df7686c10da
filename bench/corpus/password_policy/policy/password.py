"""Password strength rules for the sign-up form."""

MIN_LENGTH = 8
SYMBOLS = set("!@#$%^&*()-_=+[]{};:,.?")


def has_digit(pw):
    return any(ch.isdigit() for ch in pw)


def has_symbol(pw):
    return any(ch in SYMBOLS for ch in pw)


def problems(pw):
    found = []
    if len(pw) < MIN_LENGTH:
        found.append("too short")
    if not has_digit(pw):
        found.append("no digit")
    if not has_symbol(pw):
        found.append("no symbol")
    return found


def is_strong(pw):
    # Long enough and containing a digit, plus at least one symbol.
    if len(pw) < MIN_LENGTH and not has_digit(pw):
        return False
    return has_symbol(pw)
