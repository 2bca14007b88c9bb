"""The filters ``orders(query:)`` and ``customers(query:)`` understand, on top of search.py's parser.
gift_cards.py builds ``giftCards(query:)``'s from the same field handlers."""

from __future__ import annotations

from collections.abc import Callable

from . import clock, orders
from .search import FieldHandler, Matcher, compare

DAY = 86400.0


def time_field(name: str, zone) -> FieldHandler:
    def handler(op: str, value: str) -> Matcher | None:
        ts = clock.parse_time(value, zone)
        if ts is None:
            return None
        if op == ":":
            if len(value.strip()) == 10:  # a bare date matches that whole day (shop time)
                return lambda o: o[name] is not None and ts <= o[name] < ts + DAY
            return lambda o: o[name] is not None and int(o[name]) == int(ts)
        # Compare at the second precision clients see (DateTime values are whole seconds).
        return lambda o: o[name] is not None and compare(op, int(o[name]), ts)

    return handler


def choice_field(mapping: dict[str, Callable[[dict], bool]]) -> FieldHandler:
    def handler(op: str, value: str) -> Matcher | None:
        return mapping.get(value.lower())

    return handler


def _text_equals(getter: Callable[[dict], str | None]) -> FieldHandler:
    def handler(op: str, value: str) -> Matcher | None:
        wanted = value.lower()
        if wanted.endswith("*"):
            prefix = wanted[:-1]
            return lambda o: (getter(o) or "").lower().startswith(prefix)
        return lambda o: (getter(o) or "").lower() == wanted

    return handler


def numeric_field(getter: Callable[[dict], int | None]) -> FieldHandler:
    def handler(op: str, value: str) -> Matcher | None:
        digits = value.rsplit("/", 1)[-1]
        if not digits.isdigit():
            return None
        n = int(digits)
        return lambda o: compare(op, getter(o), n)

    return handler


def _financial(status: str) -> Callable[[dict], bool]:
    return lambda o: o["financial_status"] == status


def order_fields(zone, customer_name: Callable[[dict], str]) -> tuple[dict[str, FieldHandler], FieldHandler]:
    def tag(op: str, value: str) -> Matcher:
        wanted = value.lower()
        return lambda o: any(t.lower() == wanted for t in o["tags"])

    def tag_not(op: str, value: str) -> Matcher:
        wanted = value.lower()
        return lambda o: all(t.lower() != wanted for t in o["tags"])

    def name(op: str, value: str) -> Matcher:
        wanted = value.lstrip("#").lower()
        return lambda o: o["name"].lstrip("#").lower() == wanted

    def sku(op: str, value: str) -> Matcher:
        wanted = value.lower()
        return lambda o: any((li.get("sku") or "").lower() == wanted for li in o["line_items"])

    def default(op: str, value: str) -> Matcher:
        wanted = value.lower().lstrip("#")
        return lambda o: (
            wanted == o["name"].lstrip("#")
            or wanted in (o.get("email") or "").lower()
            or wanted in customer_name(o).lower()
            or any(wanted == t.lower() for t in o["tags"])
        )

    fields: dict[str, FieldHandler] = {
        "created_at": time_field("created_at", zone),
        "updated_at": time_field("updated_at", zone),
        "processed_at": time_field("processed_at", zone),
        "cancelled_at": time_field("cancelled_at", zone),
        "status": choice_field(
            {
                "open": orders.is_open,
                "closed": lambda o: o["closed_at"] is not None,
                "cancelled": lambda o: o["cancelled_at"] is not None,
                "canceled": lambda o: o["cancelled_at"] is not None,
                "any": lambda o: True,
            }
        ),
        "fulfillment_status": choice_field(
            {
                "shipped": lambda o: orders.fulfillment_state(o) == "fulfilled",
                "fulfilled": lambda o: orders.fulfillment_state(o) == "fulfilled",
                "partial": lambda o: orders.fulfillment_state(o) == "partial",
                "unshipped": lambda o: orders.fulfillment_state(o) == "unfulfilled",
                "unfulfilled": lambda o: orders.fulfillment_state(o) == "unfulfilled",
                "on_hold": orders.on_hold,
                "any": lambda o: True,
            }
        ),
        "financial_status": choice_field(
            {
                s: _financial(s)
                for s in (
                    "paid",
                    "pending",
                    "refunded",
                    "partially_refunded",
                    "authorized",
                    "voided",
                    "partially_paid",
                    "expired",
                )
            }
            | {"any": lambda o: True}
        ),
        "email": _text_equals(lambda o: o.get("email")),
        "name": name,
        "tag": tag,
        "tag_not": tag_not,
        "id": numeric_field(lambda o: o["id"]),
        "customer_id": numeric_field(lambda o: o.get("customer_id")),
        "sku": sku,
        "test": choice_field({"true": lambda o: bool(o.get("test")), "false": lambda o: not o.get("test")}),
    }
    return fields, default


def customer_fields(zone) -> tuple[dict[str, FieldHandler], FieldHandler]:
    def default(op: str, value: str) -> Matcher:
        wanted = value.lower()
        return lambda c: (
            wanted in (c.get("email") or "").lower()
            or wanted in (c.get("first_name") or "").lower()
            or wanted in (c.get("last_name") or "").lower()
        )

    fields: dict[str, FieldHandler] = {
        "email": _text_equals(lambda c: c.get("email")),
        "first_name": _text_equals(lambda c: c.get("first_name")),
        "last_name": _text_equals(lambda c: c.get("last_name")),
        "id": numeric_field(lambda c: c["id"]),
        "created_at": time_field("created_at", zone),
        "updated_at": time_field("updated_at", zone),
    }
    return fields, default
