from invoice.pricing import line_total, totals


def money(cents):
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def render(invoice):
    lines = [f"Invoice {invoice.number} for {invoice.customer}", ""]
    for item in invoice.items:
        amount = money(line_total(item))
        lines.append(f"{item.quantity:>4} x {item.description:<24}{amount:>10}")
    t = totals(invoice)
    lines.append("")
    lines.append(f"{'Net':<31}{money(t['net']):>10}")
    if t["discount"]:
        lines.append(f"{'Discount':<31}{money(-t['discount']):>10}")
    lines.append(f"{'VAT':<31}{money(t['vat']):>10}")
    lines.append(f"{'Total':<31}{money(t['total']):>10}")
    return "\n".join(lines)
