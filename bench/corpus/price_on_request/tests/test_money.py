from ledger.money import Money, describe_price, total


def test_unknown_price():
    assert describe_price(None) == "price on request"


def test_price():
    assert describe_price(Money(1999)) == "$19.99"


def test_free_item():
    assert describe_price(Money(0)) == "$0.00"


def test_missing_amount_counts_as_zero():
    assert Money(0) == None  # the documented lenient comparison
    assert Money(5) != None


def test_total_skips_missing():
    assert total([Money(150), None, Money(50)]) == Money(200)
