"""All devstore state, one lock around it, and its JSON state file.

Every request handler takes ``store.lock`` for the whole of its read or write, so concurrent requests
see each change whole. Orders live in a dict by id plus a list of ids in creation order (ids only grow),
which keeps paging and filtering linear and lets a 50 000-order store answer quickly.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import clock

# Id ranges per kind, so ids look like Shopify's (13-14 digits) and never collide across kinds.
ID_BASES = {
    "Order": 6_100_000_000_000,
    "LineItem": 16_100_000_000_000,
    "Customer": 8_100_000_000_000,
    "OrderTransaction": 11_100_000_000_000,
    "Refund": 1_100_000_000_000,
    "FulfillmentOrder": 7_100_000_000_000,
    "FulfillmentOrderLineItem": 17_100_000_000_000,
    "FulfillmentHold": 310_000_000_000,
    "CalculatedOrder": 120_000_000_000,
    "BulkOperation": 5_100_000_000_000,
    "WebhookSubscription": 1_600_000_000_000,
    "Product": 9_100_000_000_000,
    "ProductOption": 12_100_000_000_000,
    "ProductVariant": 49_100_000_000_000,
    "InventoryItem": 51_100_000_000_000,
    "GiftCard": 654_000_000_000,
    "Fulfillment": 8_600_000_000_000,
    "FulfillmentLineItem": 18_100_000_000_000,
    "Return": 15_100_000_000,
    "ReturnLineItem": 23_100_000_000,
}


@dataclass
class ShopConfig:
    name: str = "Devstore"
    domain: str = "devstore.myshopify.com"
    timezone: str = "Asia/Seoul"
    currency: str = "USD"
    email: str = "owner@devstore.example"
    # Shopify's checkout setting "Automatically archive the order" (on by default): a cancelled order is
    # closed at once. Off (--no-auto-archive), a cancel leaves it open until orderClose.
    auto_archive: bool = True


@dataclass
class State:
    counters: dict[str, int] = field(default_factory=dict)
    next_order_number: int = 1001
    orders: dict[int, dict] = field(default_factory=dict)
    order_ids: list[int] = field(default_factory=list)
    customers: dict[int, dict] = field(default_factory=dict)
    customer_by_email: dict[str, int] = field(default_factory=dict)
    # The catalogue (catalogue.py): products by id, each holding its variants.
    products: dict[int, dict] = field(default_factory=dict)
    # Gift cards (gift_cards.py) by id; codes are unique per shop, kept lower-case as Shopify keeps them.
    gift_cards: dict[int, dict] = field(default_factory=dict)
    jobs: dict[str, dict] = field(default_factory=dict)
    bulk_operations: dict[int, dict] = field(default_factory=dict)
    subscriptions: dict[int, dict] = field(default_factory=dict)
    edits: dict[int, dict] = field(default_factory=dict)
    calls: list[dict] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)
    # @idempotent keys of refundCreate: key -> {"fingerprint", "order_id", "refund_id"}
    idempotency: dict[str, dict] = field(default_factory=dict)
    # Issued access tokens: token -> {"scope", "grant", "issued_at", "expires_at" (None: offline)}
    access_tokens: dict[str, dict] = field(default_factory=dict)
    # Install codes not yet exchanged: code -> {"client_id", "scope", "issued_at"}
    auth_codes: dict[str, dict] = field(default_factory=dict)
    fo_index: dict[int, int] = field(default_factory=dict)  # fulfillment order id -> order id (not saved)
    return_index: dict[int, int] = field(default_factory=dict)  # return id -> order id (not saved)
    variant_index: dict[int, int] = field(default_factory=dict)  # variant id -> product id (not saved)
    gift_card_by_code: dict[str, int] = field(default_factory=dict)  # code -> gift card id (not saved)


class Store:
    def __init__(self, shop: ShopConfig, state_file: Path | None = None) -> None:
        self.shop = shop
        self.zone = clock.shop_zone(shop.timezone)
        self.lock = threading.RLock()
        # Serialises state-file writes so an older snapshot never replaces a newer one. Always taken
        # before ``lock``, never while holding it.
        self._save_lock = threading.Lock()
        self.state = State()
        self.state_file = state_file
        # Set by the app: emit(topic, body, subscribers_only) queues a webhook; None while seeding.
        self.emit: Callable[[str, dict, bool], None] | None = None
        # The shop's auto-archive setting now (POST /_devstore/settings changes it; reset restores it).
        self.auto_archive = shop.auto_archive

    # --- ids ---------------------------------------------------------------------------------------

    def new_id(self, kind: str) -> int:
        counters = self.state.counters
        counters[kind] = counters.get(kind, ID_BASES.get(kind, 1_000_000)) + 1
        return counters[kind]

    # --- orders and customers ----------------------------------------------------------------------

    def add_order(self, order: dict) -> None:
        self.state.orders[order["id"]] = order
        self.state.order_ids.append(order["id"])

    def order(self, order_id: int | None) -> dict | None:
        return self.state.orders.get(order_id) if order_id is not None else None

    def iter_orders(self):
        orders = self.state.orders
        for oid in self.state.order_ids:
            order = orders.get(oid)
            if order is not None:
                yield order

    def customer(self, customer_id: int | None) -> dict | None:
        return self.state.customers.get(customer_id) if customer_id is not None else None

    def customer_for(
        self, email: str | None, first_name: str | None, last_name: str | None, at: float
    ) -> dict | None:
        if not email:
            return None
        key = email.lower()
        cid = self.state.customer_by_email.get(key)
        if cid is not None:
            return self.state.customers[cid]
        customer: dict[str, Any] = {
            "id": self.new_id("Customer"),
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "created_at": at,
            "updated_at": at,
            "tags": [],
            "order_ids": [],
        }
        self.state.customers[customer["id"]] = customer
        self.state.customer_by_email[key] = customer["id"]
        return customer

    def fulfillment_order(self, fo_id: int) -> tuple[dict, dict] | tuple[None, None]:
        index = self.state.fo_index
        oid = index.get(fo_id)
        order = self.state.orders.get(oid) if oid else None
        if order is None:
            index.clear()
            for o in self.iter_orders():
                for fo in o["fulfillment_orders"]:
                    index[fo["id"]] = o["id"]
            found = index.get(fo_id)
            order = self.state.orders.get(found) if found else None
        if order is None:
            return None, None
        for fo in order["fulfillment_orders"]:
            if fo["id"] == fo_id:
                return order, fo
        return None, None

    def return_record(self, return_id: int) -> tuple[dict, dict] | tuple[None, None]:
        """(order, return) for a return id (returns.py's record), or (None, None)."""
        index = self.state.return_index
        order = self.state.orders.get(index.get(return_id, -1))
        if order is None:
            index.clear()
            for o in self.iter_orders():
                for r in o.get("returns", []):
                    index[r["id"]] = o["id"]
            order = self.state.orders.get(index.get(return_id, -1))
        if order is not None:
            for r in order.get("returns", []):
                if r["id"] == return_id:
                    return order, r
        return None, None

    # --- catalogue ------------------------------------------------------------------------------------

    def add_product(self, product: dict) -> None:
        self.state.products[product["id"]] = product
        for variant in product["variants"]:
            self.state.variant_index[variant["id"]] = product["id"]

    def product(self, product_id: int | None) -> dict | None:
        return self.state.products.get(product_id) if product_id is not None else None

    def iter_products(self):
        return iter(sorted(self.state.products.values(), key=lambda p: p["id"]))

    def variant(self, variant_id: int | None) -> tuple[dict, dict] | tuple[None, None]:
        """(product, variant) for a variant id, or (None, None)."""
        product = (
            self.state.products.get(self.state.variant_index.get(variant_id, -1)) if variant_id else None
        )
        if product is not None:
            for variant in product["variants"]:
                if variant["id"] == variant_id:
                    return product, variant
        return None, None

    # --- gift cards ------------------------------------------------------------------------------------

    def add_gift_card(self, card: dict) -> None:
        self.state.gift_cards[card["id"]] = card
        self.state.gift_card_by_code[card["code"]] = card["id"]

    def gift_card(self, gift_card_id: int | None) -> dict | None:
        return self.state.gift_cards.get(gift_card_id) if gift_card_id is not None else None

    def gift_card_by_code(self, code: str) -> dict | None:
        found = self.state.gift_card_by_code.get(code.lower())
        return self.state.gift_cards.get(found) if found is not None else None

    def iter_gift_cards(self):
        return iter(sorted(self.state.gift_cards.values(), key=lambda g: g["id"]))

    def publish(self, topic: str, body: dict, *, subscribers_only: bool = False) -> None:
        if self.emit is not None:
            self.emit(topic, body, subscribers_only)

    # --- persistence -------------------------------------------------------------------------------

    def reset(self) -> None:
        self.state = State()
        self.auto_archive = self.shop.auto_archive

    def to_json(self) -> dict[str, Any]:
        s = self.state
        return {
            "version": 1,
            "counters": s.counters,
            "next_order_number": s.next_order_number,
            "orders": [s.orders[i] for i in s.order_ids if i in s.orders],
            "customers": list(s.customers.values()),
            "products": list(s.products.values()),
            "gift_cards": list(s.gift_cards.values()),
            "jobs": s.jobs,
            "bulk_operations": list(s.bulk_operations.values()),
            "subscriptions": list(s.subscriptions.values()),
            "edits": list(s.edits.values()),
            "calls": s.calls,
            "deliveries": s.deliveries,
            "idempotency": s.idempotency,
            "access_tokens": s.access_tokens,
            "auth_codes": s.auth_codes,
        }

    def load_json(self, data: dict[str, Any]) -> None:
        s = State()
        s.counters = {k: int(v) for k, v in data.get("counters", {}).items()}
        s.next_order_number = int(data.get("next_order_number", 1001))
        for order in data.get("orders", []):
            s.orders[order["id"]] = order
            s.order_ids.append(order["id"])
        for customer in data.get("customers", []):
            s.customers[customer["id"]] = customer
            if customer.get("email"):
                s.customer_by_email[customer["email"].lower()] = customer["id"]
        for product in data.get("products", []):
            s.products[product["id"]] = product
            for variant in product["variants"]:
                s.variant_index[variant["id"]] = product["id"]
        for card in data.get("gift_cards", []):
            s.gift_cards[card["id"]] = card
            s.gift_card_by_code[card["code"]] = card["id"]
        s.jobs = data.get("jobs", {})
        s.bulk_operations = {b["id"]: b for b in data.get("bulk_operations", [])}
        s.subscriptions = {w["id"]: w for w in data.get("subscriptions", [])}
        s.edits = {e["id"]: e for e in data.get("edits", [])}
        s.calls = data.get("calls", [])
        s.deliveries = data.get("deliveries", [])
        s.idempotency = data.get("idempotency", {})
        s.access_tokens = data.get("access_tokens", {})
        s.auth_codes = data.get("auth_codes", {})
        self.state = s

    def save(self) -> None:
        """Write the state file atomically (temp file in the same directory, then rename)."""
        if self.state_file is None:
            return
        with self._save_lock:
            with self.lock:
                payload = json.dumps(self.to_json(), separators=(",", ":"))
            directory = self.state_file.parent
            directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".devstore-", dir=directory)
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(payload)
                os.replace(tmp, self.state_file)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise

    def load(self) -> bool:
        if self.state_file is None or not self.state_file.exists():
            return False
        self.load_json(json.loads(self.state_file.read_text()))
        return True
