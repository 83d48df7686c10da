from checkout.shipping import member_discount, order_total, shipping_cost


def test_member_over_threshold_ships_free():
    assert shipping_cost(6000, True) == 0


def test_guest_over_threshold_ships_free():
    assert shipping_cost(6000, False) == 0


def test_small_order_pays_flat_rate():
    assert shipping_cost(1000, True) == 499


def test_guest_order_total():
    assert order_total([(2, 3000)], is_member=False) == 6000


def test_member_order_total():
    assert order_total([(1, 1000)], is_member=True) == 950 + 499


def test_no_discount_for_guests():
    assert member_discount(1000, False) == 0
