"""Shopify's mandatory privacy webhooks: what we hold on a shopper, erasing a shopper, erasing a shop.

Payloads (compliance topics): `customers/data_request` and `customers/redact` carry
`{"shop_domain", "customer": {"id", "email", "phone"}, "orders_requested" | "orders_to_redact": [ids],
"data_request": {"id"}}`; `shop/redact` carries `{"shop_id", "shop_domain"}` (48 hours after uninstall).
A shopper is matched by customer id, by e-mail (guest checkouts have no customer) and by the listed orders.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.utils import timezone

from shopify_sync.models import Customer, CustomerDataRequest, Order, Shop, WebhookDelivery
from shopify_sync.selectors import merchant_recipients
from shopify_sync.services.mirror import normalise_email
from shopify_sync.signals import customer_data_requested, customer_redacted, shop_redacted

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Shopper:
    """Who a privacy request is about, as Shopify names them."""

    customer_legacy_id: int | None
    email: str
    order_legacy_ids: tuple[int, ...]

    @classmethod
    def from_payload(cls, payload: dict[str, Any], orders_key: str) -> Shopper:
        customer = payload.get("customer") or {}
        customer_id = customer.get("id")
        return cls(
            customer_legacy_id=int(customer_id) if customer_id is not None else None,
            email=normalise_email(customer.get("email")),
            order_legacy_ids=tuple(int(order_id) for order_id in payload.get(orders_key) or ()),
        )


def shopper_customers(*, shop: Shop, shopper: Shopper) -> QuerySet[Customer]:
    match = Q(pk__in=[])
    if shopper.customer_legacy_id is not None:
        match |= Q(legacy_id=shopper.customer_legacy_id)
    if shopper.email:
        match |= Q(email=shopper.email)
    return Customer.objects.filter(shop=shop).filter(match)


def shopper_orders(*, shop: Shop, shopper: Shopper) -> QuerySet[Order]:
    match = Q(legacy_id__in=shopper.order_legacy_ids)
    if shopper.customer_legacy_id is not None:
        match |= Q(customer__legacy_id=shopper.customer_legacy_id)
    if shopper.email:
        match |= Q(email=shopper.email)
    return Order.objects.filter(shop=shop).filter(match)


def customer_data_request_fulfil(*, shop: Shop, delivery: WebhookDelivery) -> CustomerDataRequest:
    """Assemble what the portal holds on the shopper into a JSON document, keep it, and (after commit)
    e-mail it to the merchant's notification addresses, who answer the shopper."""
    payload = delivery.payload
    shopper = Shopper.from_payload(payload, "orders_requested")
    orders = list(
        shopper_orders(shop=shop, shopper=shopper)
        .select_related("customer")
        .prefetch_related("line_items")
        .order_by("processed_at")
    )
    responses = customer_data_requested.send(
        sender=Customer,
        shop=shop,
        customer_legacy_id=shopper.customer_legacy_id,
        email=shopper.email,
        order_ids=[order.pk for order in orders],
    )
    shopify_request_id = (payload.get("data_request") or {}).get("id")
    document: dict[str, Any] = {
        "shop": shop.domain,
        "shopify_data_request_id": shopify_request_id,
        "assembled_at": timezone.now(),
        "customer": {"id": shopper.customer_legacy_id, "email": shopper.email},
        "customers": [_customer_document(c) for c in shopper_customers(shop=shop, shopper=shopper)],
        "orders": [_order_document(order) for order in orders],
        "other_records": {
            f"{receiver.__module__}.{receiver.__qualname__}": response
            for receiver, response in responses
            if response
        },
    }
    data_request, _ = CustomerDataRequest.objects.update_or_create(
        delivery=delivery,
        defaults={
            "shop": shop,
            "shopify_request_id": shopify_request_id,
            "customer_legacy_id": shopper.customer_legacy_id,
            "email": shopper.email,
            "document": json.loads(json.dumps(document, cls=DjangoJSONEncoder)),
        },
    )
    if merchant_recipients(shop):
        # tasks.py imports the services, so the task is looked up at call time
        from shopify_sync.tasks import customer_data_request_email_enqueue_on_commit

        customer_data_request_email_enqueue_on_commit(data_request.pk)
    return data_request


def customer_data_request_email(*, data_request: CustomerDataRequest) -> bool:
    """Send the assembled document to the store's merchant recipients once. True when sent now.

    Claimed with a conditional update before sending, so the task and the retry sweep cannot both send
    it; a failed send releases the claim for the next try.
    """
    recipients = merchant_recipients(data_request.shop)
    if not recipients:
        return False
    claimed = CustomerDataRequest.objects.filter(pk=data_request.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    message = EmailMessage(
        subject=f"Customer data request {data_request.shopify_request_id or data_request.pk} "
        f"({data_request.email or data_request.customer_legacy_id})",
        body=(
            "Shopify forwarded a customer's request for the data this portal stores about them. "
            "It is attached as JSON: send it to the customer within 30 days."
        ),
        to=recipients,
    )
    message.attach(
        f"customer-data-request-{data_request.pk}.json",
        json.dumps(data_request.document, indent=2, ensure_ascii=False),
        "application/json",
    )
    try:
        message.send()
    except Exception:
        CustomerDataRequest.objects.filter(pk=data_request.pk).update(emailed_at=None)
        raise
    return True


def customer_redact(*, shop: Shop, delivery: WebhookDelivery) -> list[int]:
    """Erase the shopper's personal data; keep anonymous rows (counts, amounts, statuses, line items).

    Returns the ids of the orders redacted. Other apps erase theirs on `customer_redacted`.
    """
    shopper = Shopper.from_payload(delivery.payload, "orders_to_redact")
    order_ids = list(shopper_orders(shop=shop, shopper=shopper).values_list("pk", flat=True))
    order_legacy_ids = sorted(
        {
            *shopper.order_legacy_ids,
            *Order.objects.filter(pk__in=order_ids).values_list("legacy_id", flat=True),
        }
    )
    Order.objects.filter(pk__in=order_ids).update(email="", shipping_address=None, last_payload={}, note="")
    shopper_customers(shop=shop, shopper=shopper).update(email="", first_name="", last_name="")
    # Stored webhook bodies are copies of the same personal data.
    mentions = Q(topic__startswith="orders/", payload__id__in=order_legacy_ids) | Q(
        topic="orders/edited", payload__order_edit__order_id__in=order_legacy_ids
    )
    if shopper.customer_legacy_id is not None:
        mentions |= Q(payload__customer__id=shopper.customer_legacy_id)
    WebhookDelivery.objects.filter(mentions).exclude(pk=delivery.pk).update(payload={"redacted": True})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        payload={
            "redacted": True,
            "customer": {"id": shopper.customer_legacy_id},
            "orders_to_redact": list(shopper.order_legacy_ids),
        }
    )
    earlier_requests = Q(pk__in=[])
    if shopper.customer_legacy_id is not None:
        earlier_requests |= Q(customer_legacy_id=shopper.customer_legacy_id)
    if shopper.email:
        earlier_requests |= Q(email=shopper.email)
    CustomerDataRequest.objects.filter(shop=shop).filter(earlier_requests).update(
        email="", document={"redacted": True}
    )
    customer_redacted.send(
        sender=Customer,
        shop=shop,
        customer_legacy_id=shopper.customer_legacy_id,
        email=shopper.email,
        order_ids=order_ids,
    )
    return order_ids


def shop_redact(*, shop: Shop, keep_delivery: WebhookDelivery | None = None) -> None:
    """Erase everything the portal mirrored for the shop (orders, customers, deliveries, data requests).

    The `Shop` row stays (it holds no personal data) with its sync state reset, so a reinstall imports
    afresh. Other apps delete their rows first, on `shop_redacted`.
    """
    shop_redacted.send(sender=Shop, shop=shop)
    CustomerDataRequest.objects.filter(shop=shop).delete()
    Order.objects.filter(shop=shop).delete()
    Customer.objects.filter(shop=shop).delete()
    deliveries = WebhookDelivery.objects.filter(Q(shop=shop) | Q(shop_domain=shop.domain))
    if keep_delivery is not None:
        deliveries = deliveries.exclude(pk=keep_delivery.pk)
    deliveries.delete()
    Shop.objects.filter(pk=shop.pk).update(
        sync_cursor=None, last_full_import_at=None, last_sync_error="", updated_at=timezone.now()
    )


def _customer_document(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.legacy_id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
    }


def _order_document(order: Order) -> dict[str, Any]:
    return {
        "id": order.legacy_id,
        "name": order.name,
        "email": order.email,
        "customer_id": order.customer.legacy_id if order.customer else None,
        "processed_at": order.processed_at,
        "cancelled_at": order.cancelled_at,
        "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status,
        "currency": order.currency,
        "total_price": order.total_price,
        "total_refunded": order.total_refunded,
        "presentment_currency": order.presentment_currency,
        "total_price_presentment": order.total_price_presentment,
        "shipping_address": order.shipping_address,
        "note": order.note,
        "tags": order.tags,
        "line_items": [
            {
                "title": line.title,
                "variant_title": line.variant_title,
                "sku": line.sku,
                "quantity": line.quantity,
                "current_quantity": line.current_quantity,
                "unit_price": line.unit_price,
            }
            for line in order.line_items.all()
        ],
    }
