"""Writing Shopify's fulfilment orders into the mirror: from webhooks and from the portal's own live reads.

One rule for every source: an older view never overwrites a newer row. Fulfilment orders carry no
`updated_at` in webhook bodies, and the one GraphQL gives has second precision (a hold placed and released
in one second shares it), so the version is when the source saw the state: `X-Shopify-Triggered-At` for a
webhook, the moment before the request for a live read or a mutation's answer (whatever Shopify changed
after that moment, its webhook is newer and wins). The guard is in the one `INSERT … ON CONFLICT … DO
UPDATE … WHERE stored.source_updated_at <= excluded.source_updated_at` statement, as for orders.

Webhook bodies name no order, so a fulfilment order the mirror has not seen (a new order's, one split off
or moved) is read from Shopify with all of its order's fulfilment orders instead; until that order itself is
in the mirror the delivery fails and is retried (the order's own webhook or the sync brings it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from shopify_sync.client import FulfillmentOrderState, ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.models import FulfillmentOrder, Order, Shop
from shopify_sync.services.upsert_sql import upsert_rows
from shopify_sync.types import FulfillmentHoldData, FulfillmentOrderData
from shopify_sync.webhooks.fulfillment_payloads import fulfillment_orders_from_rest

logger = logging.getLogger(__name__)

READ = "read"  # `source` of a row written from a live read
# Shopify answers at most this many of an order's fulfilment orders in one read (fulfillment_holds.graphql).
READ_PAGE = 20


class FulfillmentOrderOrderNotMirrored(Exception):
    """A webhook's fulfilment order belongs to an order the mirror does not have yet: retried later (the
    order's own webhook or the sync brings it)."""


def fulfillment_order_data(state: FulfillmentOrderState) -> FulfillmentOrderData:
    """A live read's fulfilment order as the mirror takes it: everything said."""
    return FulfillmentOrderData(
        gid=state.id,
        status=state.status.lower(),
        holds=tuple(
            FulfillmentHoldData(
                id=hold.id,
                handle=hold.handle,
                reason=hold.reason.lower(),
                reason_notes=hold.reason_notes,
                ours=hold.ours,
            )
            for hold in state.holds
        ),
        location_gid=state.location_gid,
        location_name=state.location_name,
        request_status=state.request_status.lower(),
    )


def fulfillment_orders_record(
    *,
    shop_id: int,
    order_id: int,
    fulfillment_orders: Sequence[FulfillmentOrderData],
    seen_at: datetime,
    source: str,
) -> int:
    """Write what a source saw at `seen_at`; a row stored from a later view is left as it is. What a source
    does not say (None) keeps its stored value (a new row starts blank). Returns how many rows were written.

    Rows go in gid order, so two writers of one order's rows lock them in one order."""
    now = timezone.now()
    by_gid = {data.gid: data for data in fulfillment_orders}
    groups: dict[tuple[bool, ...], list[FulfillmentOrderData]] = {}
    for gid in sorted(by_gid):
        data = by_gid[gid]
        said = (
            data.holds is not None,
            data.location_gid is not None,
            data.location_gid is not None or data.location_name is not None,
            data.request_status is not None,
        )
        groups.setdefault(said, []).append(data)
    written = 0
    for (holds, location_gid, location_name, request_status), group in groups.items():
        optional = [
            name
            for name, given in (
                ("holds", holds),
                ("location_gid", location_gid),
                ("location_name", location_name),
                ("request_status", request_status),
            )
            if given
        ]
        rows = [_row(shop_id, order_id, data, seen_at=seen_at, source=source, now=now) for data in group]
        written += len(
            upsert_rows(
                FulfillmentOrder,
                rows,
                fields=[
                    "shop",
                    "order",
                    "shopify_gid",
                    "status",
                    "request_status",
                    "location_gid",
                    "location_name",
                    "holds",
                    "source_updated_at",
                    "source",
                    "fetched_at",
                ],
                unique_fields=["shop", "shopify_gid"],
                update_fields=["status", *optional, "source_updated_at", "source", "fetched_at"],
                update_only_if_not_newer="source_updated_at",
            )
        )
    return written


def _row(
    shop_id: int, order_id: int, data: FulfillmentOrderData, *, seen_at: datetime, source: str, now: datetime
) -> FulfillmentOrder:
    location_name = data.location_name
    if location_name is None and data.location_gid is not None:
        location_name = ""  # moved somewhere named by id only: the name comes with the next read
    return FulfillmentOrder(
        shop_id=shop_id,
        order_id=order_id,
        shopify_gid=data.gid,
        status=data.status,
        request_status=data.request_status or "",
        location_gid=data.location_gid or "",
        location_name=location_name or "",
        holds=[hold.as_dict() for hold in data.holds or ()],
        source_updated_at=seen_at,
        source=source[:100],
        fetched_at=now,
    )


def fulfillment_orders_read(*, order: Order, client: ShopifyClient) -> list[FulfillmentOrderState] | None:
    """Read the order's fulfilment orders from Shopify, record them, and return them (None: Shopify has no
    such order). Rows of the order that Shopify no longer lists (merged back after a partial hold) go,
    unless something newer than this read wrote them."""
    seen_at = timezone.now()
    states = client.fulfillment_orders(order.shopify_gid)
    if states is not None:
        _record_read(order=order, states=states, seen_at=seen_at)
    return states


def _record_read(*, order: Order, states: Sequence[FulfillmentOrderState], seen_at: datetime) -> None:
    fulfillment_orders_record(
        shop_id=order.shop_id,
        order_id=order.pk,
        fulfillment_orders=[fulfillment_order_data(state) for state in states],
        seen_at=seen_at,
        source=READ,
    )
    if len(states) < READ_PAGE:  # the whole list: what it lacks is gone
        FulfillmentOrder.objects.filter(order_id=order.pk, source_updated_at__lte=seen_at).exclude(
            shopify_gid__in=[state.id for state in states]
        ).delete()


def fulfillment_order_record_answer(
    *, order: Order, fulfillment_order: FulfillmentOrderData, asked_at: datetime, source: str
) -> None:
    """Record a fulfilment order as a mutation of ours left it (a hold placed or released), `asked_at`
    being the moment before the call."""
    fulfillment_orders_record(
        shop_id=order.shop_id,
        order_id=order.pk,
        fulfillment_orders=[fulfillment_order],
        seen_at=asked_at,
        source=source,
    )


def fulfillment_orders_apply_webhook(
    *,
    shop: Shop,
    topic: str,
    payload: dict[str, Any],
    triggered_at: datetime | None,
    client: ShopifyClient | None = None,
) -> int:
    """Apply a `fulfillment_orders/*` body to the mirror, at its `X-Shopify-Triggered-At`; returns how many
    rows it wrote.

    The order's fulfilment orders are read from Shopify instead when the body names one the mirror does not
    know (the body names no order), moves one to a location it names by id only, or has no time to order it
    by. The read is never older than the event: Shopify triggered it before sending it to us."""
    changes = fulfillment_orders_from_rest(topic, payload)
    if not changes:
        return 0
    known = dict(
        FulfillmentOrder.objects.filter(shop=shop, shopify_gid__in=[c.gid for c in changes]).values_list(
            "shopify_gid", "order_id"
        )
    )
    unnamed_location = any(c.location_gid is not None and c.location_name is None for c in changes)
    if triggered_at is None or len(known) < len(changes) or unnamed_location:
        unknown = next((c.gid for c in changes if c.gid not in known), None)
        return _read_for_webhook(
            shop=shop,
            client=client or client_for(shop),
            order_id=next(iter(known.values()), None),
            unknown_gid=unknown,
        )
    return fulfillment_orders_record(
        shop_id=shop.pk,
        order_id=next(iter(known.values())),
        fulfillment_orders=changes,
        seen_at=triggered_at,
        source=topic,
    )


def _read_for_webhook(
    *, shop: Shop, client: ShopifyClient, order_id: int | None, unknown_gid: str | None
) -> int:
    """Read the fulfilment orders of the webhook's order (found through a fulfilment order of the body when
    the mirror knows none of them) and record them; how many rows that wrote."""
    if order_id is not None:
        known = Order.objects.get(pk=order_id)
        return len(fulfillment_orders_read(order=known, client=client) or [])
    assert unknown_gid is not None  # no known row: some gid is unknown
    seen_at = timezone.now()
    found = client.fulfillment_order_with_siblings(unknown_gid)
    if found is None:
        logger.info("fulfilment order %s of %s is not in Shopify any more", unknown_gid, shop.domain)
        return 0
    order_gid, states = found
    order = Order.objects.filter(shop=shop, shopify_gid=order_gid).first()
    if order is None:
        raise FulfillmentOrderOrderNotMirrored(
            f"fulfilment order {unknown_gid} belongs to order {order_gid}, not in the mirror yet"
        )
    _record_read(order=order, states=states, seen_at=seen_at)
    return len(states)
