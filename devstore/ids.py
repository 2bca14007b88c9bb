"""Global ids (``gid://shopify/Order/123``) and the numeric ids behind them."""

from __future__ import annotations

GID_PREFIX = "gid://shopify/"


def gid(kind: str, number: int | str) -> str:
    return f"{GID_PREFIX}{kind}/{number}"


def parse_gid(value: object, kind: str | None = None) -> tuple[str, int] | None:
    """Return (kind, number) for a well-formed gid, else None (optionally requiring ``kind``)."""
    if not isinstance(value, str) or not value.startswith(GID_PREFIX):
        return None
    rest = value[len(GID_PREFIX) :].split("?", 1)[0]
    parts = rest.split("/")
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    if kind is not None and parts[0] != kind:
        return None
    return parts[0], int(parts[1])


def gid_number(value: object, kind: str) -> int | None:
    parsed = parse_gid(value, kind)
    return parsed[1] if parsed else None
