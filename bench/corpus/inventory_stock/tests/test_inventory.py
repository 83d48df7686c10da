import pytest

from stockroom.inventory import Inventory, OutOfStock


def test_add_and_count():
    inv = Inventory()
    inv.add("bolt", 5)
    inv.add("bolt", 2)
    assert inv.count("bolt") == 7


def test_remove_reduces_stock():
    inv = Inventory()
    inv.add("nut", 10)
    inv.remove("nut", 3)
    assert inv.count("nut") == 7


def test_remove_everything_drops_sku():
    inv = Inventory()
    inv.add("nut", 2)
    inv.add("washer", 1)
    inv.remove("nut", 2)
    assert inv.skus() == ["washer"]


def test_remove_too_many():
    inv = Inventory()
    inv.add("nut", 1)
    with pytest.raises(OutOfStock):
        inv.remove("nut", 2)


def test_add_rejects_zero():
    with pytest.raises(ValueError):
        Inventory().add("nut", 0)
