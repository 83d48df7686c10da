import pytest

from bank.account import Account, InsufficientFunds


def test_deposit():
    acc = Account("ann", 100)
    acc.deposit(50)
    assert acc.balance == 150


def test_withdraw_part():
    acc = Account("ann", 100)
    acc.withdraw(30)
    assert acc.balance == 70


def test_withdraw_everything():
    acc = Account("ann", 100)
    acc.withdraw(100)
    assert acc.balance == 0


def test_overdraw():
    with pytest.raises(InsufficientFunds):
        Account("ann", 10).withdraw(11)


def test_negative_deposit():
    with pytest.raises(ValueError):
        Account("ann").deposit(-5)


def test_statement():
    acc = Account("ann", 100)
    acc.withdraw(40)
    assert acc.statement() == ["withdraw      40"]
