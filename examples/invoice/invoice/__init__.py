"""Invoices in integer cents: line items, volume tiers, discount codes, VAT."""

from invoice.models import Invoice, LineItem
from invoice.pricing import totals
from invoice.render import render

__all__ = ["Invoice", "LineItem", "render", "totals"]
