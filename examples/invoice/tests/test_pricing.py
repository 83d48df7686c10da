import pytest

from invoice.models import Invoice, LineItem
from invoice.pricing import code_discount, line_total, percent_of, totals, volume_percent


def test_no_discount_below_ten():
    assert volume_percent(9) == 0


def test_ten_units_get_five_percent():
    assert volume_percent(10) == 5


def test_middle_tier():
    assert volume_percent(25) == 5


def test_fifty_units_get_ten_percent():
    assert line_total(LineItem("pen", "Pen", 200, 50)) == 9000


def test_large_order():
    assert line_total(LineItem("pen", "Pen", 200, 80)) == 14400


def test_percent_rounds_half_up():
    assert percent_of(250, 1) == 3


def test_discount_codes():
    assert code_discount("welcome10", 10000) == 1000
    assert code_discount("FIVEOFF", 300) == 300
    assert code_discount("BOGUS", 10000) == 0
    assert code_discount("", 10000) == 0


def test_totals_with_code_and_vat():
    inv = Invoice("0042", "ACME", discount_code="FIVEOFF")
    inv.add("mug", "Mug", 1250, 2)
    assert totals(inv) == {"net": 2500, "discount": 500, "vat": 400, "total": 2400}


def test_rejects_zero_quantity():
    with pytest.raises(ValueError):
        LineItem("pen", "Pen", 200, 0)
