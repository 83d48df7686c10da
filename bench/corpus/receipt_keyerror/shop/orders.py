PRICES = {"SKU-1": 250, "SKU-2": 1200, "SKU-3": 75}
NAMES = {"SKU-1": "pencil", "SKU-2": "notebook", "SKU-3": "eraser"}


def receipt_line(sku, qty):
    name = NAMES[sku]
    cost = PRICES[name] * qty
    return f"{qty} x {name}: {cost}"


def order_total(lines):
    return sum(PRICES[sku] * qty for sku, qty in lines)


def describe(sku):
    return f"{NAMES[sku]} ({sku})"
