"""Money and dates the way the shopper reads them: babel for money, the store's time zone for dates."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import format_currency
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, ngettext

# Babel needs a territory to pick digit grouping and the currency symbol's place.
_BABEL_LOCALES = {"en": "en_US", "ko": "ko_KR"}


def babel_locale(language: str | None = None) -> str:
    language = (language or get_language() or "en").split("-")[0]
    return _BABEL_LOCALES.get(language, language)


def money(amount: Decimal | int | str | None, currency: str, language: str | None = None) -> str:
    """`₩12,000` (KRW has no minor unit, so no decimals), `$12.50`, `US$12.50` in Korean, and so on."""
    if amount is None or not currency:
        return ""
    return _formatted_money(str(amount), currency, babel_locale(language))


# Babel parses the locale and its currency pattern on every call (~50 µs); a page shows the same few
# amounts again and again (totals, unit prices). Keyed by the amount's exact text: "-0" stays "-0".
@lru_cache(maxsize=4096)
def _formatted_money(amount: str, currency: str, locale: str) -> str:
    return format_currency(Decimal(amount), currency, locale=locale)


def shop_zone(iana_timezone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(iana_timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_shop_time(moment: datetime, iana_timezone: str | None) -> datetime:
    return timezone.localtime(moment, shop_zone(iana_timezone))


def shop_datetime(moment: datetime | None, iana_timezone: str | None) -> str:
    """The moment in the store's time zone, in the active language's format, with the zone's abbreviation."""
    if moment is None:
        return ""
    local = in_shop_time(moment, iana_timezone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def _minutes(count: int) -> str:
    return ngettext(
        "%(count)s minute left to change this order", "%(count)s minutes left to change this order", count
    )


def _hours(count: int) -> str:
    return ngettext(
        "%(count)s hour left to change this order", "%(count)s hours left to change this order", count
    )


def _days(count: int) -> str:
    return ngettext(
        "%(count)s day left to change this order", "%(count)s days left to change this order", count
    )


def time_left(remaining: timedelta) -> str:
    """ "42 minutes left to change this order": the same wording the countdown script writes."""
    seconds = int(remaining.total_seconds())
    if seconds <= 0:
        return gettext("The time to change this order has ended.")
    if seconds < 60:
        return gettext("Less than a minute left to change this order")
    minutes = seconds // 60
    if minutes < 120:
        return _minutes(minutes) % {"count": minutes}
    hours = minutes // 60
    if hours < 48:
        return _hours(hours) % {"count": hours}
    days = hours // 24
    return _days(days) % {"count": days}


def countdown_texts() -> dict[str, str]:
    """The countdown script's wording in the active language, with `%(count)s` for it to fill in. A page
    with several countdowns computes it once (`countdown_texts` in its context, see `_countdown.html`)."""
    return {
        "ended": gettext("The time to change this order has ended."),
        "under_minute": gettext("Less than a minute left to change this order"),
        "minutes_one": _minutes(1),
        "minutes_other": _minutes(2),
        "hours_one": _hours(1),
        "hours_other": _hours(2),
        "days_one": _days(1),
        "days_other": _days(2),
    }
