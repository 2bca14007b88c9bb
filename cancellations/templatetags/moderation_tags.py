"""Template tags of the merchant console (the admin index's queue summary)."""

from __future__ import annotations

from django import template

from cancellations.admin_display import money
from cancellations.moderation import waiting_counts

register = template.Library()


@register.simple_tag
def moderation_waiting() -> dict[str, int]:
    return waiting_counts()


@register.filter(name="money")
def money_filter(amount, currency: str) -> str:
    return money(amount, currency)
