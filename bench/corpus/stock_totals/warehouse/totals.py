def total_units(stock):
    return sum(stock.keys())


def low_stock(stock, threshold):
    return sorted(sku for sku, qty in stock.items() if qty < threshold)


def restock_order(stock, target):
    return {sku: target - qty for sku, qty in stock.items() if qty < target}
