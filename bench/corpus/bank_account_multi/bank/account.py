class InsufficientFunds(Exception):
    pass


class Account:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance
        self.history = []

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.balance -= amount
        self.history.append(("deposit", amount))

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        if amount >= self.balance:
            raise InsufficientFunds(f"{self.owner}: balance {self.balance}, asked {amount}")
        self.balance -= amount
        self.history.append(("withdraw", amount))

    def statement(self):
        return [f"{kind:<8}{amount:>8}" for kind, amount in self.history]
