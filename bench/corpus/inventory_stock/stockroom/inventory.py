class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self):
        self._stock = {}

    def add(self, sku, qty):
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) + qty

    def remove(self, sku, qty):
        have = self._stock.get(sku, 0)
        if qty > have:
            raise OutOfStock(f"{sku}: want {qty}, have {have}")
        self._stock[sku] += qty
        if self._stock[sku] == 0:
            del self._stock[sku]

    def count(self, sku):
        return self._stock.get(sku, 0)

    def skus(self):
        return sorted(self._stock)
