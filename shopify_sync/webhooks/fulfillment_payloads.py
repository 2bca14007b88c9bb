"""`fulfillment_orders/*` webhook JSON → `shopify_sync.types.FulfillmentOrderData`.

These bodies are small and name no order: each holds one or two fulfilment orders as `{"id": gid, "status":
"on_hold", …}` (lower case, like the GraphQL enum lowered), under a key that depends on the topic. What a
body does not say stays None, and the mirror keeps what it has; a status other than on_hold means no holds
(Shopify sends `hold_released` only once the last hold is gone).
"""

from __future__ import annotations

from typing import Any

from shopify_sync.types import FulfillmentHoldData, FulfillmentOrderData
from shopify_sync.webhooks.payloads import PayloadError
from shopify_sync.webhooks.topics import FULFILLMENT_ORDERS_MOVED, FULFILLMENT_ORDERS_PLACED_ON_HOLD

# The keys of each topic's body that hold a fulfilment order (Shopify's sample payloads); one entry per
# `topics.FULFILLMENT_ORDERS_TOPICS` (a test checks).
KEYS: dict[str, tuple[str, ...]] = {
    "fulfillment_orders/placed_on_hold": ("fulfillment_order", "remaining_fulfillment_order"),
    "fulfillment_orders/hold_released": ("fulfillment_order",),
    "fulfillment_orders/cancelled": ("fulfillment_order", "replacement_fulfillment_order"),
    "fulfillment_orders/fulfillment_request_accepted": ("fulfillment_order",),
    "fulfillment_orders/progress_reported": ("fulfillment_order",),
    "fulfillment_orders/manually_reported_progress_stopped": ("fulfillment_order",),
    "fulfillment_orders/moved": ("original_fulfillment_order", "moved_fulfillment_order"),
}
ON_HOLD = "on_hold"


def fulfillment_orders_from_rest(topic: str, payload: dict[str, Any]) -> list[FulfillmentOrderData]:
    """The fulfilment orders a `fulfillment_orders/*` body describes, in the body's order."""
    found: list[FulfillmentOrderData] = []
    for key in KEYS[topic]:
        value = payload.get(key)
        if value is None:
            continue  # e.g. no remaining_fulfillment_order: the hold covered the whole fulfilment order
        if not isinstance(value, dict):
            raise PayloadError(f"{topic}: {key} is not an object")
        gid = value.get("id")
        status = (value.get("status") or "").lower()
        if not isinstance(gid, str) or not gid.startswith("gid://shopify/FulfillmentOrder/") or not status:
            raise PayloadError(f"{topic}: {key} has no fulfilment order id and status")
        holds: tuple[FulfillmentHoldData, ...] | None = None
        if status != ON_HOLD:
            holds = ()
        elif topic == FULFILLMENT_ORDERS_PLACED_ON_HOLD and key == "fulfillment_order":
            holds = _placed_holds(value, payload.get("created_fulfillment_hold"))
        location_gid = value.get("assigned_location_id") if topic == FULFILLMENT_ORDERS_MOVED else None
        request_status = value.get("request_status")
        found.append(
            FulfillmentOrderData(
                gid=gid,
                status=status,
                holds=holds,
                location_gid=location_gid if isinstance(location_gid, str) else None,
                # The body names the location by id only: its name comes with the next live read.
                location_name=None,
                request_status=request_status.lower() if isinstance(request_status, str) else None,
            )
        )
    return found


def _placed_holds(fulfillment_order: dict[str, Any], created: Any) -> tuple[FulfillmentHoldData, ...]:
    """Every hold on the fulfilment order as the body lists it. Shopify reads the list when it sends, so a
    hold released in between is missing from it; `created_fulfillment_hold` (API 2024-10 on) is always
    there."""
    listed = fulfillment_order.get("fulfillment_holds")
    holds = [_hold(h) for h in listed if isinstance(h, dict)] if isinstance(listed, list) else []
    if not holds and isinstance(created, dict):
        holds = [_hold(created)]
    return tuple(hold for hold in holds if hold.id)


def _hold(value: dict[str, Any]) -> FulfillmentHoldData:
    return FulfillmentHoldData(
        id=str(value.get("id") or ""),
        handle=str(value.get("handle") or ""),
        reason=str(value.get("reason") or "").lower(),
        reason_notes=str(value.get("reason_notes") or ""),
        ours=bool(value.get("held_by_requesting_app")),
    )
