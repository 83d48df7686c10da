from invoice import Invoice, render
from invoice.render import money


def test_money():
    assert money(123456) == "1234.56"
    assert money(-5) == "-0.05"


def test_render_lists_lines_and_totals():
    inv = Invoice("7", "Bob")
    inv.add("tea", "Green tea", 450, 3)
    text = render(inv)
    assert text.splitlines()[0] == "Invoice 7 for Bob"
    assert "   3 x Green tea" in text
    assert text.splitlines()[-1].endswith("16.20")
    assert "Discount" not in text


def test_render_shows_discount():
    inv = Invoice("8", "Cy", discount_code="WELCOME10")
    inv.add("tea", "Green tea", 1000, 1)
    assert "-1.00" in render(inv)
