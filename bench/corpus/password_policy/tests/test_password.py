from policy.password import is_strong, problems


def test_strong_password():
    assert is_strong("Tr0ub4dor&3x") is True


def test_short_with_digit_is_weak():
    assert is_strong("Ab1!") is False


def test_long_without_digit_is_weak():
    assert is_strong("Abcdefgh!") is False


def test_short_without_digit_is_weak():
    assert is_strong("abcdefg") is False


def test_problem_list():
    assert problems("abc") == ["too short", "no digit", "no symbol"]
