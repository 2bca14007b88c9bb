"""The webhook topics the portal subscribes to and handles."""

from __future__ import annotations

# Full REST order bodies: written into the mirror.
ORDER_PAYLOAD_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
        "orders/paid",
    }
)
ORDERS_DELETE = "orders/delete"  # body is `{"id": …}`
APP_UNINSTALLED = "app/uninstalled"
BULK_OPERATIONS_FINISH = "bulk_operations/finish"
# Fulfilment orders changing state (held, released, in progress, moved, cancelled): written into the
# fulfilment-order mirror. Their bodies name the fulfilment order only, never the order.
FULFILLMENT_ORDERS_PLACED_ON_HOLD = "fulfillment_orders/placed_on_hold"
FULFILLMENT_ORDERS_MOVED = "fulfillment_orders/moved"
FULFILLMENT_ORDERS_TOPICS = frozenset(
    {
        FULFILLMENT_ORDERS_PLACED_ON_HOLD,
        "fulfillment_orders/hold_released",
        "fulfillment_orders/cancelled",
        "fulfillment_orders/fulfillment_request_accepted",
        "fulfillment_orders/progress_reported",
        "fulfillment_orders/manually_reported_progress_stopped",
        FULFILLMENT_ORDERS_MOVED,
    }
)
# A return decided, cancelled or closed in Shopify (the body is the return, not its order): the mirror keeps
# no returns, so each only tells the domain which return to read again (`signals.return_changed`).
RETURN_TOPICS = frozenset({"returns/approve", "returns/decline", "returns/cancel", "returns/close"})
# Mandatory privacy (compliance) topics
CUSTOMERS_DATA_REQUEST = "customers/data_request"
CUSTOMERS_REDACT = "customers/redact"
SHOP_REDACT = "shop/redact"

PRIVACY_TOPICS = frozenset({CUSTOMERS_DATA_REQUEST, CUSTOMERS_REDACT, SHOP_REDACT})
REDACTIONS = frozenset({CUSTOMERS_REDACT, SHOP_REDACT})

HANDLED_TOPICS = (
    ORDER_PAYLOAD_TOPICS
    | FULFILLMENT_ORDERS_TOPICS
    | RETURN_TOPICS
    | {
        ORDERS_DELETE,
        APP_UNINSTALLED,
        BULK_OPERATIONS_FINISH,
        CUSTOMERS_DATA_REQUEST,
        CUSTOMERS_REDACT,
        SHOP_REDACT,
    }
)

# Topics whose loss the incremental sync repairs (it re-reads every order changed since its cursor). Only
# these may be answered once buffered in Redis (see `webhooks/intake.py`); a lost `orders/delete`,
# uninstall or privacy request would never be repaired, so those are stored in the database before 200.
HEALED_BY_SYNC = ORDER_PAYLOAD_TOPICS
