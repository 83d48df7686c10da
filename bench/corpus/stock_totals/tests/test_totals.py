from warehouse.totals import low_stock, restock_order, total_units


def test_total_units():
    assert total_units({"bolt": 2, "nut": 3}) == 5


def test_total_units_empty():
    assert total_units({}) == 0


def test_low_stock():
    assert low_stock({"bolt": 2, "nut": 30, "gear": 1}, 5) == ["bolt", "gear"]


def test_restock():
    assert restock_order({"bolt": 2, "nut": 30}, 10) == {"bolt": 8}
