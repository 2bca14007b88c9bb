from __future__ import annotations

from datetime import datetime

from django import template

from portal import addresses, formatting, presenters

register = template.Library()


@register.simple_tag
def money(amount, currency: str) -> str:
    """`{% money order.total_price order.currency %}` in the active language's format."""
    return formatting.money(amount, currency)


@register.simple_tag
def money_times(amount, quantity, currency: str) -> str:
    """A line's total: unit price times quantity."""
    if amount is None:
        return ""
    return formatting.money(amount * quantity, currency)


@register.filter
def shop_datetime(moment: datetime | None, shop) -> str:
    """`{{ order.processed_at|shop_datetime:order.shop }}`: in the store's time zone."""
    return formatting.shop_datetime(moment, getattr(shop, "iana_timezone", None))


@register.filter
def shop_iso(moment: datetime | None) -> str:
    """An ISO 8601 instant (UTC) for <time datetime> and the countdown script."""
    return moment.isoformat() if moment else ""


@register.filter
def country_name(code: str) -> str:
    return addresses.country_name(code) if code else ""


@register.simple_tag
def province_name(country_code: str, province_code: str) -> str:
    if not province_code:
        return ""
    return addresses.province_name(country_code or "", province_code)


@register.filter
def address_lines(address: dict | None) -> list[str]:
    return presenters.address_lines(address)


@register.simple_tag
def time_left(deadline: datetime, now: datetime) -> str:
    return formatting.time_left(deadline - now)


@register.simple_tag
def countdown_texts() -> dict[str, str]:
    return formatting.countdown_texts()


@register.filter
def money_text(amount, currency: str) -> str:
    """`{{ amount|money_text:currency }}`: a money figure inside a translated sentence."""
    return formatting.money(amount, currency)
