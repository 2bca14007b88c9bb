"""The control API under /_devstore/ (no token): what tests and `make run` use to drive the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from . import (
    actions,
    catalogue,
    clock,
    fulfillment_orders,
    gift_cards,
    orders,
    protected_data,
    returns,
    shop_state,
    versions,
)
from .faults import KINDS

if TYPE_CHECKING:
    from .app import App

Response = tuple[int, Any]


def _order_json(app: App, order: dict) -> dict:
    store = app.store
    body = orders.rest_order(order, store.customer(order.get("customer_id")), store.zone)
    body["refunds"] = [orders.rest_refund(order, r, store.zone) for r in order["refunds"]]
    body["holds"] = [
        {
            "id": h["id"],
            "fulfillment_order_id": fo["id"],
            "handle": h.get("handle"),
            "reason": h["reason"],
            "reason_notes": h.get("reason_notes"),
        }
        for fo in order["fulfillment_orders"]
        for h in fo["holds"]
    ]
    body["fulfillment_orders"] = [
        {
            "id": fo["id"],
            "status": fo["status"].lower(),
            "request_status": fo.get("request_status", "UNSUBMITTED").lower(),
            "location_id": fulfillment_orders.location_of(fo),
            "line_items": [
                {
                    "id": f["id"],
                    "line_item_id": f["line_item_id"],
                    "quantity": f["total"],
                    "fulfillable_quantity": f["remaining"],
                }
                for f in fo["line_items"]
            ],
        }
        for fo in order["fulfillment_orders"]
    ]
    body["cancel_pending"] = bool(order.get("cancel_pending"))
    body["fulfillments"] = [
        {
            "id": f["id"],
            "status": f["status"].lower(),
            "line_items": [
                {"id": fli["id"], "line_item_id": fli["line_item_id"], "quantity": fli["quantity"]}
                for fli in f["line_items"]
            ],
        }
        for f in order.get("fulfillments", [])
    ]
    body["returns"] = [returns.control_json(r, store.zone) for r in order.get("returns", [])]
    return body


def _settings(app: App) -> dict:
    return {"auto_archive": app.store.auto_archive}


def _catalogue(app: App, method: str, parts: list[str], body: Any) -> Response:
    """Products and stock: ``GET /_devstore/products[/<id>]``, ``POST /_devstore/products`` (catalogue.py's
    fields), ``GET /_devstore/variants/<id>`` and ``POST /_devstore/variants/<id>`` with
    ``{"inventory_quantity": N}``."""
    store = app.store
    with store.lock:
        if parts == ["products"] and method == "GET":
            return 200, [catalogue.rest_product(store, p) for p in store.iter_products()]
        if parts == ["products"] and method == "POST":
            if not isinstance(body, dict):
                return 400, {"error": "JSON object body required"}
            try:
                created = catalogue.create_product(store, body)
            except catalogue.CatalogueError as exc:
                return 422, {"error": str(exc)}
            return 201, catalogue.rest_product(store, created)
        if len(parts) != 2 or not parts[1].isdigit():
            return 404, {"error": "unknown control endpoint"}
        number = int(parts[1])
        if parts[0] == "products" and method == "GET":
            found = store.product(number)
            if found is None:
                return 404, {"error": f"product {number} not found"}
            return 200, catalogue.rest_product(store, found)
        product, variant = store.variant(number)
        if product is None or variant is None:
            return 404, {"error": f"variant {number} not found"}
        if method == "GET":
            return 200, catalogue.rest_variant(store, product, variant)
        if method == "POST":
            if not isinstance(body, dict) or "inventory_quantity" not in body:
                return 400, {"error": "inventory_quantity is required"}
            try:
                catalogue.set_inventory(product, variant, body["inventory_quantity"])
            except catalogue.CatalogueError as exc:
                return 422, {"error": str(exc)}
            return 200, catalogue.rest_variant(store, product, variant)
    return 404, {"error": "unknown control endpoint"}


# ``POST /_devstore/fulfillment_orders/<id>/<change>``: what a warehouse, a fulfilment service or a merchant
# does to a fulfilment order outside the app, each sending its ``fulfillment_orders/*`` webhook.
FULFILLMENT_ORDER_CHANGES = ("progress", "stop_progress", "accept", "move")


def _fulfillment_order_change(app: App, parts: list[str], body: Any) -> Response:
    """``progress`` (``{"notes"}``: open → in progress), ``stop_progress`` (back to open), ``accept`` (a
    fulfilment service accepts the request, ``{"message"}``: in progress), ``move`` (``{"location_id": 2}``);
    answers the order as ``GET /_devstore/orders/<id>`` does."""
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in FULFILLMENT_ORDER_CHANGES:
        return 404, {"error": "unknown control endpoint"}
    fields = body if isinstance(body, dict) else {}
    store = app.store
    with store.lock:
        order, fo = store.fulfillment_order(int(parts[1]))
        if order is None or fo is None:
            return 404, {"error": f"fulfillment order {parts[1]} not found"}
        now = clock.now()
        try:
            if parts[2] == "progress":
                fulfillment_orders.report_progress(store, fo, fields.get("notes"), now)
            elif parts[2] == "stop_progress":
                fulfillment_orders.stop_progress(store, fo, now)
            elif parts[2] == "accept":
                fulfillment_orders.accept_request(store, fo, fields.get("message"), now)
            else:
                location = fields.get("location_id")
                if not isinstance(location, int):
                    return 400, {"error": "location_id must be a number"}
                fulfillment_orders.move(store, order, fo, location, now)
        except actions.ActionError as exc:
            return exc.status, {"error": str(exc)}
        result = _order_json(app, order)
    app.persist()
    return 200, result


def _api_versions(app: App) -> dict:
    return {"supported": list(app.config.api_versions), "deprecated": sorted(app.deprecated_versions)}


def handle(app: App, method: str, path: str, query: str, body: Any) -> Response:
    parts = [p for p in path.split("/") if p][1:]  # drop "_devstore"
    store = app.store
    if method == "GET" and parts == ["health"]:
        return 200, {"ok": True}
    if parts == ["orders"] and method == "POST":
        if not isinstance(body, dict):
            return 400, {"error": "JSON object body required"}
        with store.lock:
            try:
                created = actions.create_order(store, body)
            except actions.ActionError as exc:
                return exc.status, {"error": str(exc)}
        app.persist()
        return 201, {
            "id": f"gid://shopify/Order/{created['id']}",
            "legacy_id": created["id"],
            "name": created["name"],
        }
    if parts == ["orders"] and method == "GET":
        emails = parse_qs(query).get("email")
        email = emails[0] if emails else None
        with store.lock:
            found = [
                _order_json(app, o)
                for o in store.iter_orders()
                if email is None or (o.get("email") or "").lower() == email.lower()
            ]
        return 200, found
    if len(parts) >= 2 and parts[0] == "orders" and parts[1].isdigit():
        order_id = int(parts[1])
        with store.lock:
            order = store.order(order_id)
            if order is None:
                return 404, {"error": f"order {order_id} not found"}
            if len(parts) == 2 and method == "GET":
                return 200, _order_json(app, order)
            if len(parts) == 2 and method == "DELETE":
                actions.delete_order(store, order)
                result: Response = (200, {"deleted": order_id})
            elif parts[2:] == ["fulfill"] and method == "POST":
                lines = None
                if isinstance(body, dict) and body.get("line_items"):
                    lines = [
                        (int(str(li["id"]).rsplit("/", 1)[-1]), int(li["quantity"]))
                        for li in body["line_items"]
                    ]
                try:
                    state = actions.fulfill(store, order, lines)
                except actions.ActionError as exc:
                    return exc.status, {"error": str(exc)}
                result = (200, {"fulfillment_status": state, "order": _order_json(app, order)})
            elif parts[2:] == ["deliver"] and method == "POST":
                # The carrier reports the order's shipments delivered (Fulfillment.deliveredAt), at
                # ``at`` (epoch seconds) or now.
                fields = body if isinstance(body, dict) else {}
                try:
                    actions.deliver(store, order, at=fields.get("at"))
                except actions.ActionError as exc:
                    return exc.status, {"error": str(exc)}
                result = (200, {"order": _order_json(app, order)})
            elif parts[2:] == ["cancel"] and method == "POST":
                if order["cancelled_at"] is not None:
                    return 409, {"error": "order is already cancelled"}
                fields = body if isinstance(body, dict) else {}
                actions.cancel_now(
                    store,
                    order,
                    {
                        "reason": (fields.get("reason") or "other").upper(),
                        "refund": fields.get("refund", False),
                        "restock": fields.get("restock", False),
                    },
                )
                result = (200, _order_json(app, order))
            else:
                return 404, {"error": "unknown control endpoint"}
        app.persist()
        return result
    if parts and parts[0] == "fulfillment_orders" and method == "POST":
        return _fulfillment_order_change(app, parts, body)
    if parts and parts[0] in ("products", "variants"):
        result = _catalogue(app, method, parts, body)
        if result[0] < 300 and method == "POST":
            app.persist()
        return result
    if len(parts) == 3 and parts[0] == "returns" and parts[1].isdigit() and method == "POST":
        # A merchant approving or declining a return in Shopify's admin (returns.decide says how).
        if parts[2] not in ("approve", "decline"):
            return 404, {"error": "unknown control endpoint"}
        with store.lock:
            result = returns.decide(store, int(parts[1]), parts[2], body if isinstance(body, dict) else {})
        if result[0] == 200:
            app.persist()
        return result
    if parts == ["gift_cards"] and method == "GET":
        # Every card with its whole code, oldest first: what giftCardCreate issued.
        with store.lock:
            return 200, [gift_cards.rest_gift_card(store, g) for g in store.iter_gift_cards()]
    if parts == ["faults"] and method == "POST":
        if not isinstance(body, dict) or body.get("kind") not in KINDS:
            return 400, {"error": f"kind must be one of {', '.join(KINDS)}"}
        try:
            fault = app.faults.add(body["kind"], int(body.get("count", 1)), body.get("rate"))
        except ValueError as exc:
            return 400, {"error": str(exc)}
        return 201, fault
    if parts == ["faults"] and method == "GET":
        return 200, app.faults.snapshot()
    if parts == ["faults"] and method == "DELETE":
        app.faults.clear()
        return 200, []
    if parts == ["calls"] and method == "GET":
        with store.lock:
            return 200, list(store.state.calls)
    if parts == ["webhooks"] and method == "GET":
        with store.lock:
            return 200, list(store.state.deliveries)
    if parts == ["reset"] and method == "POST":
        seed = body.get("seed") if isinstance(body, dict) else None
        app.reset(int(seed) if seed else None)
        return 200, {"ok": True, "orders": len(store.state.order_ids), "products": len(store.state.products)}
    if parts == ["tokens", "expire"] and method == "POST":
        return 200, {"expired": app.expire_tokens()}
    if parts == ["tokens"] and method == "GET":
        with store.lock:
            return 200, [{"access_token": t, **issued} for t, issued in store.state.access_tokens.items()]
    if parts == ["throttle"] and method == "GET":
        return 200, app.bucket.status()
    if parts == ["protected-data"] and method == "GET":
        return 200, {"fields": protected_data.listed(app.protected_fields)}
    if parts == ["protected-data"] and method == "POST":
        requested = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(requested, list) or not all(isinstance(f, str) for f in requested):
            return 400, {"error": f"fields must be a list of {', '.join(protected_data.FIELDS)} (or empty)"}
        try:
            app.protected_fields = protected_data.parse(requested)
        except ValueError as exc:
            return 400, {"error": str(exc)}
        return 200, {"fields": protected_data.listed(app.protected_fields)}
    if parts == ["settings"] and method == "GET":
        return 200, _settings(app)
    if parts == ["settings"] and method == "POST":
        # The shop's settings the devstore models: {"auto_archive": bool} (ShopConfig.auto_archive).
        if not isinstance(body, dict) or not isinstance(body.get("auto_archive"), bool):
            return 400, {"error": "auto_archive must be true or false"}
        with store.lock:
            store.auto_archive = body["auto_archive"]
        return 200, _settings(app)
    if parts == ["shop-state"] and method == "GET":
        return 200, app.shop_state_status()
    if parts == ["shop-state"] and method == "POST":
        try:
            state = shop_state.parse(body.get("state") if isinstance(body, dict) else None)
        except ValueError as exc:
            return 400, {"error": str(exc)}
        return 200, app.set_shop_state(state)
    if parts == ["api-versions"] and method == "GET":
        return 200, _api_versions(app)
    if parts == ["api-versions"] and method == "POST":
        requested = body.get("deprecated") if isinstance(body, dict) else None
        if not isinstance(requested, list) or not all(isinstance(v, str) for v in requested):
            return 400, {"error": "deprecated must be a list of versions (or empty)"}
        try:
            deprecated = versions.parse_versions(requested)
        except ValueError as exc:
            return 400, {"error": str(exc)}
        unknown = sorted(set(deprecated) - set(app.config.api_versions))
        if unknown:
            return 400, {"error": f"not among the supported versions: {', '.join(unknown)}"}
        app.deprecated_versions = frozenset(deprecated)
        return 200, _api_versions(app)
    return 404, {"error": "unknown control endpoint"}
