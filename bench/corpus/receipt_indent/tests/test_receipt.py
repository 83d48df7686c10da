from receipts.receipt import money, receipt_lines


def test_money():
    assert money(1205) == "12.05"


def test_total_once_at_end():
    lines = receipt_lines([("tea", 250), ("cake", 375)])
    assert len(lines) == 3
    assert lines[-1] == "TOTAL           6.25"


def test_item_line():
    assert receipt_lines([("tea", 250)])[0] == "tea             2.50"


def test_no_items():
    assert receipt_lines([]) == ["TOTAL           0.00"]
