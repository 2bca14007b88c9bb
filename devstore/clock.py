"""Time helpers. Internally every timestamp is a float of epoch seconds (UTC)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> float:
    return time.time()


def iso_z(ts: float | None) -> str | None:
    """GraphQL DateTime as Shopify prints it: second precision, UTC, ``Z`` suffix."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def shop_zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def iso_local(ts: float | None, zone) -> str | None:
    """REST (webhook) timestamps: the shop's local time with its offset, e.g. 2026-06-22T18:34:00+09:00."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), tz=zone).isoformat()


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_time(value: str, zone=UTC) -> float | None:
    """Parse an ISO-8601 date or date-time as Shopify search accepts it.

    A bare date means midnight in the shop's time zone (Shopify interprets search dates in shop time);
    a date-time without an offset is taken as UTC.
    """
    text = value.strip()
    try:
        if _DATE_ONLY.match(text):
            return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
