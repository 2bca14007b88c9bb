"""Writing Shopify's orders into the mirror: bulk, monotonic upserts, deletes and refresh marks.

Every source (webhooks, incremental sync, bulk import) ends here with `OrderData`, so one rule holds for
all of them: a payload older than the stored row (`updated_at`) never overwrites it, whatever order
deliveries arrive in. A batch costs the same handful of statements whether it holds 1 order or 500.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from django.db import transaction
from django.utils import timezone

from shopify_sync.models import Customer, LineItem, Order, Shop
from shopify_sync.services.upsert_sql import upsert_rows
from shopify_sync.signals import order_synced
from shopify_sync.types import CustomerData, OrderData

logger = logging.getLogger(__name__)

ORDER_UPDATE_FIELDS = (
    "legacy_id",
    "name",
    "email",
    "customer",
    "processed_at",
    "created_at_shopify",
    "updated_at_shopify",
    "cancelled_at",
    "cancel_reason",
    "financial_status",
    "fulfillment_status",
    "closed",
    "currency",
    "total_price",
    "total_refunded",
    "presentment_currency",
    "total_price_presentment",
    "current_total_price",
    "current_total_price_presentment",
    "tags",
    "note",
    "shipping_address",
    "last_payload",
    "synced_at",
)
_LINE_ITEM_UPDATE_FIELDS = (
    "title",
    "variant_title",
    "sku",
    "quantity",
    "current_quantity",
    "unfulfilled_quantity",
    "unit_price",
    "unit_price_presentment",
    "currency",
    "presentment_currency",
    "image_url",
    "position",
    "requires_shipping",
    "gift_card",
)
_CUSTOMER_UPDATE_FIELDS = ("legacy_id", "email", "first_name", "last_name")


@dataclass(frozen=True, slots=True)
class UpsertResult:
    created: int = 0
    updated: int = 0
    skipped_stale: int = 0
    order_ids: tuple[int, ...] = field(default=(), repr=False)

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            created=self.created + other.created,
            updated=self.updated + other.updated,
            skipped_stale=self.skipped_stale + other.skipped_stale,
            order_ids=self.order_ids + other.order_ids,
        )


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def orders_upsert(*, shop: Shop, orders: Iterable[OrderData], batch_size: int = 500) -> UpsertResult:
    """Write `orders` (with their customers and line items) into the mirror, batch by batch.

    Monotonic: a payload whose `updated_at` is older than the stored row's is skipped (counted in
    `skipped_stale`); an equal one is written again (Shopify's timestamps have second precision, so two
    changes in one second carry the same `updated_at`). A payload without a risk verdict (`risk_level`
    None, from a webhook, or "", none yet) keeps the stored level.
    After each batch commits (or joins the caller's transaction), `order_synced` is sent with the ids
    of the rows written.

    Race-free without taking locks first: whether to overwrite is decided by the database, inside the
    one `INSERT … ON CONFLICT (shop, gid) DO UPDATE … WHERE stored.updated_at <= excluded.updated_at`
    statement. PostgreSQL locks a conflicting row and evaluates the WHERE against its latest committed
    version, so a concurrent batch that inserted or updated the order first (even after this batch's
    read of the stored timestamps) is respected; a concurrent uncommitted insert makes this statement
    wait for it. Rows go in gid order, so overlapping batches lock in one order and cannot deadlock; the
    stored rows are locked before the customers are written, as a webhook's handler does.
    SQLite runs one writer at a time (BEGIN IMMEDIATE). See `test_races.py`.
    """
    result = UpsertResult()
    for batch in _batches(orders, batch_size):
        with transaction.atomic():
            batch_result = _upsert_batch(shop=shop, orders=batch)
        if batch_result.order_ids:
            order_synced.send(sender=Order, shop=shop, order_ids=list(batch_result.order_ids))
        result += batch_result
    return result


def order_mark_deleted(*, shop: Shop, legacy_id: int, at: datetime | None = None) -> bool:
    """Hide an order Shopify deleted (`orders/delete`). The row stays: other apps may refer to it, and a
    late, older `orders/updated` for it must not bring it back (upserts never touch `deleted_at`)."""
    order_ids = list(
        Order.objects.filter(shop=shop, legacy_id=legacy_id, deleted_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if not order_ids:
        return False
    Order.objects.filter(pk__in=order_ids).update(deleted_at=at or timezone.now())
    order_synced.send(sender=Order, shop=shop, order_ids=order_ids)
    return True


def _batches(orders: Iterable[OrderData], size: int) -> Iterator[list[OrderData]]:
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    iterator = iter(orders)
    while batch := list(islice(iterator, size)):
        yield batch


def _newest_per_order(orders: Sequence[OrderData]) -> list[OrderData]:
    """One payload per order (the newest; the later one on a tie), sorted by gid.

    PostgreSQL refuses to update one row twice in a statement, and writing rows in one global order
    (gid) keeps two concurrent batches from deadlocking on each other's rows.
    """
    newest: dict[str, OrderData] = {}
    for order in orders:
        kept = newest.get(order.gid)
        if kept is None or order.updated_at >= kept.updated_at:
            newest[order.gid] = order
    return [newest[gid] for gid in sorted(newest)]


def _upsert_batch(*, shop: Shop, orders: Sequence[OrderData]) -> UpsertResult:
    unique_orders = _newest_per_order(orders)
    gids = [order.gid for order in unique_orders]
    # Tells created from updated, and keeps obviously stale payloads from touching customers; the guard in
    # the order upsert below is what decides, atomically. It also locks the stored rows, in gid order,
    # before any customer is written: a webhook locks its order row and then writes the customer, so a
    # batch that wrote the customer first and then waited for that order would deadlock with it.
    stored = dict(
        Order.objects.select_for_update()
        .filter(shop=shop, shopify_gid__in=gids)
        .order_by("shopify_gid")
        .values_list("shopify_gid", "updated_at_shopify")
    )
    fresh = [o for o in unique_orders if o.gid not in stored or stored[o.gid] <= o.updated_at]
    now = timezone.now()

    customer_ids = _upsert_customers(shop=shop, orders=fresh)
    rows = [_order_row(shop=shop, data=o, customer_id=_customer_id(o, customer_ids), now=now) for o in fresh]
    # One statement, rows in gid order: a payload without a risk level (blank) keeps the stored one.
    written: dict[str, int] = {
        gid: pk
        for pk, gid in upsert_rows(
            Order,
            rows,
            fields=["shop", "shopify_gid", *ORDER_UPDATE_FIELDS, "risk_level"],
            unique_fields=["shop", "shopify_gid"],
            update_fields=[*ORDER_UPDATE_FIELDS, "risk_level"],
            update_only_if_not_newer="updated_at_shopify",
            keep_stored_when_blank=["risk_level"],
            returning=["id", "shopify_gid"],
        )
    }

    if written:
        _replace_line_items(orders=[o for o in fresh if o.gid in written], order_ids=written)

    created = sum(1 for gid in written if gid not in stored)
    return UpsertResult(
        created=created,
        updated=len(written) - created,
        skipped_stale=len(orders) - len(written),
        order_ids=tuple(written[gid] for gid in sorted(written)),
    )


# What two payloads with the same `updated_at` may disagree on. Shopify's timestamps have second
# precision: a change and the refund after it can carry one `updated_at`, and webhooks processed out of
# order would let the older win the tie. A tie that disagrees is settled by reading Shopify
# (`services.webhooks` flags the order, `tasks.orders_refresh` reads it).
TIE_FIELDS = (
    "financial_status",
    "fulfillment_status",
    "total_refunded",
    "cancelled_at",
    "current_total_price",
)


def payload_conflicts(data: OrderData, stored: tuple) -> bool:
    """Whether `data` says something else than the stored values of `TIE_FIELDS`."""
    financial, fulfillment, refunded, cancelled_at, current_total = stored
    current = data.current_total_price.amount if data.current_total_price else None
    return (
        (data.financial_status or "").lower() != financial
        or (data.fulfillment_status or "").lower() != fulfillment
        or data.total_refunded.amount != refunded
        or data.cancelled_at != cancelled_at
        or (current is not None and current_total is not None and current != current_total)
    )


def _customer_id(order: OrderData, customer_ids: dict[str, int]) -> int | None:
    return customer_ids.get(order.customer.gid) if order.customer else None


def _upsert_customers(*, shop: Shop, orders: Sequence[OrderData]) -> dict[str, int]:
    latest: dict[str, CustomerData] = {}
    for order in sorted(orders, key=lambda o: o.updated_at):  # the newest order's view of a customer wins
        if order.customer is not None:
            latest[order.customer.gid] = order.customer
    customers = [
        Customer(
            shop=shop,
            shopify_gid=data.gid,
            legacy_id=data.legacy_id,
            email=normalise_email(data.email),
            first_name=data.first_name or "",
            last_name=data.last_name or "",
        )
        for data in (latest[gid] for gid in sorted(latest))
    ]
    rows = upsert_rows(
        Customer,
        customers,
        fields=["shop", "shopify_gid", *_CUSTOMER_UPDATE_FIELDS],
        unique_fields=["shop", "shopify_gid"],
        update_fields=_CUSTOMER_UPDATE_FIELDS,
        returning=["id", "shopify_gid"],
    )
    return {gid: pk for pk, gid in rows}


def _order_row(*, shop: Shop, data: OrderData, customer_id: int | None, now: datetime) -> Order:
    return Order(
        shop=shop,
        shopify_gid=data.gid,
        legacy_id=data.legacy_id,
        name=data.name,
        email=normalise_email(data.email),
        customer_id=customer_id,
        processed_at=data.processed_at,
        created_at_shopify=data.created_at,
        updated_at_shopify=data.updated_at,
        cancelled_at=data.cancelled_at,
        cancel_reason=(data.cancel_reason or "").lower(),
        financial_status=(data.financial_status or "").lower(),
        fulfillment_status=(data.fulfillment_status or "").lower(),
        closed=data.closed,
        currency=data.total_price.currency,
        total_price=data.total_price.amount,
        total_refunded=data.total_refunded.amount,
        presentment_currency=data.total_price_presentment.currency,
        total_price_presentment=data.total_price_presentment.amount,
        current_total_price=data.current_total_price.amount if data.current_total_price else None,
        current_total_price_presentment=(
            data.current_total_price_presentment.amount if data.current_total_price_presentment else None
        ),
        tags=list(data.tags),
        risk_level=(data.risk_level or "").lower(),
        note=data.note or "",
        shipping_address=data.shipping_address.as_dict() if data.shipping_address else None,
        last_payload=data.raw,
        synced_at=now,
    )


def _replace_line_items(*, orders: Sequence[OrderData], order_ids: dict[str, int]) -> None:
    """Make each written order's lines exactly those of its payload: upsert by gid (so rows other apps
    point at keep their primary key), then delete lines the payload no longer has."""
    lines: dict[str, LineItem] = {}
    for order in orders:
        for position, data in enumerate(order.line_items):
            lines[data.gid] = LineItem(
                order_id=order_ids[order.gid],
                shopify_gid=data.gid,
                title=data.title,
                variant_title=data.variant_title or "",
                sku=data.sku or "",
                quantity=data.quantity,
                current_quantity=data.current_quantity,
                unfulfilled_quantity=data.unfulfilled_quantity,
                unit_price=data.unit_price.amount,
                unit_price_presentment=data.unit_price_presentment.amount,
                currency=data.unit_price.currency,
                presentment_currency=data.unit_price_presentment.currency,
                image_url=data.image_url or "",
                position=position,
                requires_shipping=data.requires_shipping,
                gift_card=data.gift_card,
            )
    kept = [
        pk
        for (pk,) in upsert_rows(
            LineItem,
            [lines[gid] for gid in sorted(lines)],
            fields=["order", "shopify_gid", *_LINE_ITEM_UPDATE_FIELDS],
            unique_fields=["shopify_gid"],
            update_fields=_LINE_ITEM_UPDATE_FIELDS,
        )
    ]
    LineItem.objects.filter(order_id__in=order_ids.values()).exclude(pk__in=kept).delete()
