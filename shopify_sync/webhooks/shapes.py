"""Does a signed body have the shape of the topic it came under?

Shopify's HMAC covers the body, not the headers: anyone holding one genuine delivery (a log, a proxy, a
browser extension on the merchant's machine) could send it again under another `X-Shopify-Topic`, say an
`orders/create` body as `orders/delete` or `shop/redact`. So each body must look like its topic's (the keys
Shopify's samples always carry, ids of the right kind, the shop it names being the header's), and a
destructive topic must have been triggered recently (`X-Shopify-Triggered-At`, which Shopify always sends;
its retries end well within `DESTRUCTIVE_MAX_AGE`)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from shopify_sync.webhooks import topics

DESTRUCTIVE_TOPICS = frozenset(
    {topics.ORDERS_DELETE, topics.APP_UNINSTALLED, topics.CUSTOMERS_REDACT, topics.SHOP_REDACT}
)
DESTRUCTIVE_MAX_AGE = timedelta(hours=48)
# An order's body carries these; a delete's body is the id alone.
_ORDER_KEYS = ("id", "admin_graphql_api_id", "line_items", "created_at", "updated_at")


def _gid_of(value: Any, kind: str, legacy_id: Any = None) -> bool:
    if not isinstance(value, str) or not value.startswith(f"gid://shopify/{kind}/"):
        return False
    return legacy_id is None or value.rsplit("/", 1)[-1].split("?", 1)[0] == str(legacy_id)


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _names_shop(payload: dict, shop_domain: str) -> bool:
    shop_id = payload.get("shop_id")
    return str(payload.get("shop_domain", "")).strip().lower() == shop_domain and (
        shop_id is None or _positive_int(shop_id)
    )


def _order(payload: dict, shop_domain: str) -> str | None:
    if any(key not in payload for key in _ORDER_KEYS):
        return "an order body lacks an order's fields"
    if not _positive_int(payload["id"]) or not _gid_of(
        payload["admin_graphql_api_id"], "Order", payload["id"]
    ):
        return "an order body's id and admin_graphql_api_id disagree"
    if not isinstance(payload["line_items"], list):
        return "an order body's line_items is not a list"
    return None


def _orders_delete(payload: dict, shop_domain: str) -> str | None:
    if set(payload) != {"id"} or not _positive_int(payload["id"]):
        return "an orders/delete body is the order's id alone"
    return None


def _customers_redact(payload: dict, shop_domain: str) -> str | None:
    customer = payload.get("customer")
    if not _names_shop(payload, shop_domain) or not isinstance(customer, dict):
        return "a customers/redact body names the shop and the customer"
    if not isinstance(payload.get("orders_to_redact", []), list) or "line_items" in payload:
        return "a customers/redact body lists the orders to redact"
    return None


def _customers_data_request(payload: dict, shop_domain: str) -> str | None:
    if not _names_shop(payload, shop_domain) or not isinstance(payload.get("customer"), dict):
        return "a customers/data_request body names the shop and the customer"
    return None


def _shop_redact(payload: dict, shop_domain: str) -> str | None:
    if not set(payload) <= {"shop_id", "shop_domain"} or not _names_shop(payload, shop_domain):
        return "a shop/redact body is the shop's id and domain alone"
    return None


def _app_uninstalled(payload: dict, shop_domain: str) -> str | None:
    domain = str(payload.get("myshopify_domain") or payload.get("domain") or "").strip().lower()
    if not _positive_int(payload.get("id")) or domain != shop_domain or "line_items" in payload:
        return "an app/uninstalled body is the shop, with its domain"
    return None


def _fulfillment_order(payload: dict, shop_domain: str) -> str | None:
    held = payload.get("fulfillment_order") or payload.get("original_fulfillment_order")
    if not isinstance(held, dict) or not _gid_of(held.get("id"), "FulfillmentOrder"):
        return "a fulfillment_orders body names a fulfilment order"
    return None


def _return(payload: dict, shop_domain: str) -> str | None:
    gid = payload.get("admin_graphql_api_id")
    if not _positive_int(payload.get("id")) or (
        gid is not None and not _gid_of(gid, "Return", payload["id"])
    ):
        return "a returns body is a return"
    return None


def _bulk_operation(payload: dict, shop_domain: str) -> str | None:
    if not _gid_of(payload.get("admin_graphql_api_id"), "BulkOperation"):
        return "a bulk_operations/finish body names a bulk operation"
    return None


_CHECKS = {
    **dict.fromkeys(topics.ORDER_PAYLOAD_TOPICS, _order),
    **dict.fromkeys(topics.FULFILLMENT_ORDERS_TOPICS, _fulfillment_order),
    **dict.fromkeys(topics.RETURN_TOPICS, _return),
    topics.ORDERS_DELETE: _orders_delete,
    topics.CUSTOMERS_REDACT: _customers_redact,
    topics.CUSTOMERS_DATA_REQUEST: _customers_data_request,
    topics.SHOP_REDACT: _shop_redact,
    topics.APP_UNINSTALLED: _app_uninstalled,
    topics.BULK_OPERATIONS_FINISH: _bulk_operation,
}


def payload_mismatch(
    *, topic: str, payload: dict, shop_domain: str, triggered_at: datetime | None, now: datetime
) -> str | None:
    """Why the body cannot be a genuine delivery of `topic` (None: it can). Topics the portal does not
    handle are not judged (they are stored as processed and never acted on)."""
    if topic in DESTRUCTIVE_TOPICS and (triggered_at is None or now - triggered_at > DESTRUCTIVE_MAX_AGE):
        return f"{topic} triggered {triggered_at.isoformat() if triggered_at else 'at no stated time'}"
    check = _CHECKS.get(topic)
    return check(payload, shop_domain) if check else None


MAX_DEPTH = 64  # Shopify's bodies nest a handful of levels; PostgreSQL's jsonb refuses far less than 1000s


def unstorable(payload: Any) -> str | None:
    """Why PostgreSQL's `jsonb` would refuse the body (None: it stores): a NUL character or a lone
    surrogate in a string or key, a number that is not finite (Python's json reads NaN and Infinity), or
    nesting deeper than `MAX_DEPTH`. Walked without recursion, so no body can exhaust the stack."""
    stack: list[tuple[Any, int]] = [(payload, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            for key, item in value.items():
                problem = _bad_text(key)
                if problem:
                    return problem
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            problem = _bad_text(value)
            if problem:
                return problem
        elif isinstance(value, float) and not math.isfinite(value):
            return "a number that is not finite"
    return None


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "a lone surrogate"
    return None
