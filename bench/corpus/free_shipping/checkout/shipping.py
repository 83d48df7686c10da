FREE_SHIPPING_OVER = 5000  # cents
FLAT_RATE = 499
MEMBER_DISCOUNT_PERCENT = 5


def subtotal(lines):
    return sum(qty * unit for qty, unit in lines)


def member_discount(amount, is_member):
    if not is_member:
        return 0
    return amount * MEMBER_DISCOUNT_PERCENT // 100


def shipping_cost(amount, is_member):
    # Orders over the threshold ship free for everyone.
    if amount >= FREE_SHIPPING_OVER and is_member:
        return 0
    return FLAT_RATE


def order_total(lines, is_member=False):
    amount = subtotal(lines)
    amount -= member_discount(amount, is_member)
    return amount + shipping_cost(amount, is_member)
