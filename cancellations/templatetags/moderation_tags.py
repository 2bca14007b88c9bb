"""Template tags of the merchant console (the admin index's queue summary)."""

from __future__ import annotations

from django import template

from cancellations.admin_display import item_edit_side_by_side, money
from cancellations.moderation import waiting_counts

register = template.Library()


@register.simple_tag
def moderation_waiting() -> dict[str, int]:
    return waiting_counts()


@register.filter(name="money")
def money_filter(amount, currency: str) -> str:
    return money(amount, currency)


@register.filter
def item_edit_diff(snapshot):
    """An item edit's lines before and after, with the money effect (`admin_display`)."""
    return item_edit_side_by_side(snapshot)
