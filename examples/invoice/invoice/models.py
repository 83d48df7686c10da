from dataclasses import dataclass, field


@dataclass(frozen=True)
class LineItem:
    sku: str
    description: str
    unit_cents: int
    quantity: int

    def __post_init__(self):
        if self.quantity <= 0:
            raise ValueError(f"{self.sku}: quantity must be positive")
        if self.unit_cents < 0:
            raise ValueError(f"{self.sku}: negative price")


@dataclass
class Invoice:
    number: str
    customer: str
    items: list = field(default_factory=list)
    discount_code: str = ""

    def add(self, sku, description, unit_cents, quantity=1):
        item = LineItem(sku, description, unit_cents, quantity)
        self.items.append(item)
        return item
