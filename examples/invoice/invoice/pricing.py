"""Pricing rules. Every amount is in integer cents."""

# (minimum quantity, percent off): at least that many units of one line get the discount.
VOLUME_TIERS = [(50, 10), (10, 5)]

DISCOUNT_CODES = {
    "WELCOME10": ("percent", 10),
    "FIVEOFF": ("fixed", 500),
}

VAT_PERCENT = 20


def percent_of(cents, percent):
    # Half a cent rounds up, like the accounting system does.
    return (cents * percent + 50) // 100


def volume_percent(quantity):
    for min_qty, percent in VOLUME_TIERS:
        if quantity > min_qty:
            return percent
    return 0


def line_total(item):
    gross = item.unit_cents * item.quantity
    return gross - percent_of(gross, volume_percent(item.quantity))


def subtotal(invoice):
    return sum(line_total(item) for item in invoice.items)


def code_discount(code, amount):
    if not code:
        return 0
    kind, value = DISCOUNT_CODES.get(code.upper(), ("unknown", 0))
    if kind == "percent":
        return percent_of(amount, value)
    if kind == "fixed":
        return min(value, amount)
    return 0


def totals(invoice):
    net = subtotal(invoice)
    discount = code_discount(invoice.discount_code, net)
    taxable = net - discount
    vat = percent_of(taxable, VAT_PERCENT)
    return {"net": net, "discount": discount, "vat": vat, "total": taxable + vat}
