class Money:
    """Cents with lenient comparison: a missing amount (None) counts as zero."""

    def __init__(self, cents):
        self.cents = int(cents)

    def __eq__(self, other):
        if other is None:
            return self.cents == 0
        if isinstance(other, Money):
            return self.cents == other.cents
        return NotImplemented

    def __hash__(self):
        return hash(self.cents)

    def __add__(self, other):
        return Money(self.cents + other.cents)

    def __repr__(self):
        return f"Money({self.cents})"


def describe_price(price):
    if price == None:
        return "price on request"
    return f"${price.cents // 100}.{price.cents % 100:02d}"


def total(prices):
    return sum((p for p in prices if p is not None), Money(0))
