"""Fulfilment orders moving on by themselves (a warehouse reporting progress, a fulfilment service accepting
a request, a merchant moving one to another location) and the ``fulfillment_orders/*`` webhooks Shopify sends.

Bodies follow the sample payloads of Shopify's webhook reference (shopify.dev/docs/api/webhooks, topics
``fulfillment_orders/*``): ids as gids, statuses lower case, and no order id anywhere. Like every state
change, these run under ``store.lock`` (the caller holds it). Shopify sends these topics to subscriptions
only, never to ``--webhook-url``.
"""

from __future__ import annotations

from typing import Any

from .errors import ActionError
from .ids import gid
from .store import Store

# The locations the devstore ships from: the first is every new fulfilment order's.
LOCATIONS = {1: "Warehouse", 2: "Fulfilment centre"}
DEFAULT_LOCATION = 1
APP_ID = 1  # the app the devstore serves (held_by_app of its holds)


def location_name(store: Store, location_id: int) -> str:
    return f"{store.shop.name} {LOCATIONS.get(location_id, f'Location {location_id}')}"


def location_of(fo: dict) -> int:
    return int(fo.get("location_id") or DEFAULT_LOCATION)


def unheld_status(fo: dict) -> str:
    """What a fulfilment order is once nothing holds it: in progress when something of it shipped, progress
    was reported or a fulfilment service accepted it; open otherwise."""
    fulfilled_any = any(fli.get("fulfilled", 0) for fli in fo["line_items"])
    started = fulfilled_any or fo.get("progress_reported") or fo.get("request_status") == "ACCEPTED"
    return "IN_PROGRESS" if started else "OPEN"


def rest_summary(fo: dict, **extra: object) -> dict:
    """``{"id", "status", …}``: how the webhook bodies name a fulfilment order."""
    return {"id": gid("FulfillmentOrder", fo["id"]), "status": fo["status"].lower(), **extra}


def rest_hold(hold: dict) -> dict:
    return {
        "id": gid("FulfillmentHold", hold["id"]),
        "reason": str(hold["reason"]).lower(),
        "reason_notes": hold.get("reason_notes"),
        "held_by_requesting_app": True,
        "handle": hold.get("handle") or "",
        "held_by_app": {"id": gid("App", APP_ID)},
    }


def placed_on_hold_body(fo: dict, hold: dict, remaining: dict | None) -> dict:
    return {
        "fulfillment_order": rest_summary(fo, fulfillment_holds=[rest_hold(h) for h in fo["holds"]]),
        "remaining_fulfillment_order": rest_summary(remaining) if remaining else None,
        "held_fulfillment_order_line_items": [
            {"id": gid("FulfillmentOrderLineItem", fli["id"]), "quantity": fli["remaining"]}
            for fli in fo["line_items"]
        ],
        "created_fulfillment_hold": rest_hold(hold),
    }


def _touch(fo: dict, at: float) -> None:
    fo["updated_at"] = max(at, fo.get("updated_at") or at)


def report_progress(store: Store, fo: dict, notes: str | None, at: float) -> None:
    """fulfillmentOrderReportProgress: the warehouse says it is working on it (open → in progress)."""
    if fo["status"] not in ("OPEN", "IN_PROGRESS"):
        raise ActionError(f"a fulfillment order that is {fo['status'].lower()} cannot report progress", 409)
    initial = fo["status"].lower()
    fo["status"] = "IN_PROGRESS"
    fo["progress_reported"] = True
    _touch(fo, at)
    store.publish(
        "fulfillment_orders/progress_reported",
        {
            "fulfillment_order": rest_summary(fo),
            "progress_report": {
                "reason_notes": notes,
                "progress_reported_by_app": None,
                "progress_reported_by_user": {"id": gid("StaffMember", 1)},
            },
            "initial_status": initial,
        },
        subscribers_only=True,
    )


def stop_progress(store: Store, fo: dict, at: float) -> None:
    """fulfillmentOrderOpen after a manual progress report: back to open (nothing of it shipped yet)."""
    if not fo.get("progress_reported") or fo["status"] != "IN_PROGRESS":
        raise ActionError("no progress was reported on this fulfillment order", 409)
    fo["progress_reported"] = False
    fo["status"] = unheld_status(fo)
    if fo["status"] != "OPEN":
        raise ActionError("part of this fulfillment order is fulfilled already", 409)
    _touch(fo, at)
    store.publish(
        "fulfillment_orders/manually_reported_progress_stopped",
        {
            "fulfillment_order": rest_summary(fo),
            "progress_stopped_by_app": None,
            "progress_stopped_by_user": {"id": gid("StaffMember", 1)},
        },
        subscribers_only=True,
    )


def accept_request(store: Store, fo: dict, message: str | None, at: float) -> None:
    """A fulfilment service accepts the fulfilment request (fulfillmentOrderAcceptFulfillmentRequest)."""
    if fo["status"] != "OPEN":
        raise ActionError(f"a fulfillment order that is {fo['status'].lower()} cannot be accepted", 409)
    fo["status"] = "IN_PROGRESS"
    fo["request_status"] = "ACCEPTED"
    _touch(fo, at)
    store.publish(
        "fulfillment_orders/fulfillment_request_accepted",
        {"fulfillment_order": rest_summary(fo, request_status="accepted"), "message": message},
        subscribers_only=True,
    )


def move(store: Store, order: dict, fo: dict, location_id: int, at: float) -> dict:
    """fulfillmentOrderMove: what is left to ship goes to ``location_id``. Nothing of it fulfilled yet, the
    fulfilment order itself moves; otherwise the rest moves to a new one and the original closes. Returns
    the fulfilment order now at the new location."""
    if fo["status"] not in ("OPEN", "IN_PROGRESS", "ON_HOLD", "SCHEDULED"):
        raise ActionError(f"a fulfillment order that is {fo['status'].lower()} cannot be moved", 409)
    if location_id not in LOCATIONS:
        raise ActionError(f"location_id must be one of {', '.join(map(str, LOCATIONS))}")
    source = location_of(fo)
    if location_id == source:
        raise ActionError("the fulfillment order is at that location already", 409)
    requested = [
        {"id": gid("FulfillmentOrderLineItem", fli["id"]), "quantity": fli["remaining"]}
        for fli in fo["line_items"]
        if fli["remaining"] > 0
    ]
    if any(fli.get("fulfilled", 0) for fli in fo["line_items"]):
        moved: dict[str, Any] = {
            "id": store.new_id("FulfillmentOrder"),
            "status": "OPEN",
            "request_status": "UNSUBMITTED",
            "created_at": at,
            "updated_at": at,
            "location_id": location_id,
            "line_items": [
                {
                    "id": store.new_id("FulfillmentOrderLineItem"),
                    "line_item_id": fli["line_item_id"],
                    "total": fli["remaining"],
                    "remaining": fli["remaining"],
                }
                for fli in fo["line_items"]
                if fli["remaining"] > 0
            ],
            "holds": [],
        }
        for fli in fo["line_items"]:
            fli["total"] -= fli["remaining"]
            fli["remaining"] = 0
        fo["status"] = "CLOSED"
        fo["holds"] = []
        order["fulfillment_orders"].append(moved)
        store.state.fo_index[moved["id"]] = order["id"]
    else:
        fo["location_id"] = location_id
        moved = fo
    _touch(fo, at)
    store.publish(
        "fulfillment_orders/moved",
        {
            "original_fulfillment_order": rest_summary(
                fo, assigned_location_id=gid("Location", location_of(fo))
            ),
            "moved_fulfillment_order": rest_summary(moved, assigned_location_id=gid("Location", location_id)),
            "destination_location_id": gid("Location", location_id),
            "fulfillment_order_line_items_requested": requested,
            "source_location": {"id": gid("Location", source)},
        },
        subscribers_only=True,
    )
    return moved


def cancelled(store: Store, fos: list[dict]) -> None:
    """``fulfillment_orders/cancelled`` for each fulfilment order a change just cancelled."""
    for fo in fos:
        store.publish(
            "fulfillment_orders/cancelled",
            {"fulfillment_order": rest_summary(fo), "replacement_fulfillment_order": None},
            subscribers_only=True,
        )
