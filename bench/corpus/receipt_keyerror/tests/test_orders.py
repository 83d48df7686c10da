import pytest

from shop.orders import describe, order_total, receipt_line


def test_describe():
    assert describe("SKU-2") == "notebook (SKU-2)"


def test_order_total():
    assert order_total([("SKU-1", 2), ("SKU-3", 4)]) == 800


def test_receipt_line():
    assert receipt_line("SKU-1", 3) == "3 x pencil: 750"


def test_unknown_sku():
    with pytest.raises(KeyError):
        receipt_line("SKU-9", 1)
