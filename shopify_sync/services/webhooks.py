"""Storing webhook deliveries on receipt, and processing each exactly once (in a task)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.utils import timezone

from shopify_sync import selectors
from shopify_sync.models import Order, Shop, WebhookDelivery
from shopify_sync.services.fulfillment_orders import fulfillment_orders_apply_webhook
from shopify_sync.services.mirror import TIE_FIELDS, order_mark_deleted, orders_upsert, payload_conflicts
from shopify_sync.services.privacy import customer_data_request_fulfil, customer_redact, shop_redact
from shopify_sync.services.shops import shop_for_domain, shop_mark_uninstalled
from shopify_sync.services.upsert_sql import column_name, concrete_field
from shopify_sync.signals import bulk_operation_finished, return_changed
from shopify_sync.webhooks import intake, topics
from shopify_sync.webhooks.intake import IncomingDelivery
from shopify_sync.webhooks.payloads import PayloadError, order_data_from_rest

logger = logging.getLogger(__name__)

# A delivery still unprocessed this long after its last try is queued again by the beat task, with the
# wait doubling per attempt (1, 2, 4 … 60 minutes); after this many attempts it waits for a person.
WEBHOOK_MAX_ATTEMPTS = 10
WEBHOOK_RETRY_AFTER = timedelta(minutes=1)
_MAX_ERROR_LENGTH = 4000


@dataclass(frozen=True)
class Accepted:
    """What the webhook view must queue once its answer is settled."""

    delivery_id: int | None = None  # stored just now and waiting to be processed
    drain_needed: bool = False  # buffered in Redis, and this delivery is the one to schedule a drain


def webhook_delivery_accept(*, delivery: IncomingDelivery) -> Accepted:
    """Keep a verified delivery so that it is processed once: buffered in Redis when the intake is "redis"
    and the topic is one the incremental sync would repair, otherwise stored in the database now.

    With Redis unreachable the delivery is stored in the database instead: slower, never lost.
    """
    if settings.WEBHOOK_INTAKE == "redis" and delivery.topic in topics.HEALED_BY_SYNC:
        try:
            return Accepted(drain_needed=intake.append(delivery))
        except redis.RedisError as error:
            logger.warning(
                "webhook intake buffer unavailable (%s); storing delivery %s in the database",
                type(error).__name__,
                delivery.webhook_id,
            )
    stored = webhook_deliveries_store(deliveries=[delivery])
    return Accepted(delivery_id=stored[0] if stored else None)


def webhook_deliveries_store(*, deliveries: list[IncomingDelivery]) -> list[int]:
    """Store deliveries once per `webhook_id` (Shopify's retries repeat it) and once per event (shop,
    topic and `X-Shopify-Event-Id`: one event comes under a webhook id per subscription, and may come
    again); ids of the new ones to process.

    One `INSERT … ON CONFLICT DO NOTHING RETURNING` statement for the whole batch: the unique webhook id and
    the unique event (`webhook_event_once`) decide, in the database, which copies are new, so a repeat (or a
    second drain of the same entries) stores nothing and queues nothing, even when another request or drain
    stores the same event at the same moment. The conflict has no target so that either constraint skips
    the row (naming one would make the other raise). A topic the portal does not handle is stored already
    processed.
    """
    unique: list[IncomingDelivery] = []
    seen: set[tuple[str, ...]] = set()
    for delivery in deliveries:
        keys: set[tuple[str, ...]] = {("webhook", delivery.webhook_id)}
        if delivery.event_id:
            keys.add(("event", delivery.shop_domain, delivery.topic, delivery.event_id))
        if keys.isdisjoint(seen):
            unique.append(delivery)
        seen |= keys
    if not unique:
        return []
    rows = [
        {
            "webhook_id": delivery.webhook_id,
            "topic": delivery.topic,
            "shop_domain": delivery.shop_domain,
            "api_version": delivery.api_version,
            "event_id": delivery.event_id,
            "triggered_at": delivery.triggered_at,
            "payload": delivery.payload,
            "received_at": delivery.received_at,
            "processed_at": None if delivery.topic in topics.HANDLED_TOPICS else delivery.received_at,
            "attempts": 0,
            "error": "",
        }
        for delivery in unique
    ]
    fields = [concrete_field(WebhookDelivery._meta, name) for name in rows[0]]
    connection = connections[WebhookDelivery.objects.db]
    quote = connection.ops.quote_name
    params = [field.get_db_prep_save(row[field.name], connection) for row in rows for field in fields]
    # Identifiers come from the model's meta; every value is a parameter.
    table = quote(WebhookDelivery._meta.db_table)
    columns = ", ".join(quote(column_name(WebhookDelivery._meta, f.name)) for f in fields)
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    returning = f"{quote('id')}, {quote('webhook_id')}"
    conflict = f"ON CONFLICT DO NOTHING RETURNING {returning}"
    sql = f"INSERT INTO {table} ({columns}) VALUES {values} {conflict}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        new_ids = {webhook_id: pk for pk, webhook_id in cursor.fetchall()}
    return [
        new_ids[row["webhook_id"]]
        for row in rows
        if row["webhook_id"] in new_ids and row["processed_at"] is None
    ]


def webhook_intake_drain(
    *, consumer: str, on_stored: Callable[[list[int]], None], batch_size: int = 200
) -> int:
    """Move the Redis intake buffer into `WebhookDelivery` rows, batch by batch; how many were new.

    Each batch is committed before its entries are acknowledged, and `on_stored` gets the new rows' ids
    after the commit (to queue their processing). See `webhooks/intake.py` for why nothing is lost.
    """
    intake.clear_drain_flag()
    stored = 0
    while entries := intake.read(consumer=consumer, count=batch_size):
        deliveries = []
        for entry_id, fields in entries:
            try:
                deliveries.append(intake.IncomingDelivery.from_stream_fields(fields))
            except (KeyError, ValueError, UnicodeDecodeError):
                # Only the view writes entries, after checking them; one that does not read back is
                # logged (its id and field names: never the body, which holds personal data) and dropped
                # rather than retried for ever.
                logger.error("unreadable webhook intake entry %r (fields %s)", entry_id, sorted(fields))
        new_ids = _store_or_dead_letter(deliveries)
        intake.acknowledge([entry_id for entry_id, _ in entries])
        stored += len(new_ids)
        on_stored(new_ids)
    return stored


def _store_or_dead_letter(deliveries: list[IncomingDelivery]) -> list[int]:
    """Store a drained batch; when the database refuses it (a body it cannot hold that the view let
    through), store the entries one by one, and each refused one as a dead letter: its headers kept, its
    body not (it may hold personal data), the error saying why, and no retry (`WEBHOOK_MAX_ATTEMPTS`), so
    it shows in the console's webhook deliveries and the rest of the batch goes on."""
    try:
        with transaction.atomic():
            return webhook_deliveries_store(deliveries=deliveries)
    except DatabaseError:
        logger.exception(
            "a drained batch of %d webhooks could not be stored; storing one by one", len(deliveries)
        )
    new_ids: list[int] = []
    for delivery in deliveries:
        try:
            with transaction.atomic():
                new_ids += webhook_deliveries_store(deliveries=[delivery])
        except DatabaseError as error:
            letter = replace(delivery, body=b'{"dead_letter": true}')
            stored = webhook_deliveries_store(deliveries=[letter])
            WebhookDelivery.objects.filter(pk__in=stored).update(
                attempts=WEBHOOK_MAX_ATTEMPTS,
                error=f"dead letter: the database refused the body ({type(error).__name__})"[
                    :_MAX_ERROR_LENGTH
                ],
            )
            logger.error("webhook %s (%s) kept as a dead letter", delivery.webhook_id, delivery.topic)
    return new_ids


def webhook_delivery_process(*, delivery: WebhookDelivery) -> bool:
    """Apply one delivery to the mirror, once. True when this call processed it.

    The row is locked for the whole transaction, so a second worker given the same delivery (a duplicate
    task, the retry sweep) waits, then sees `processed_at` and does nothing. A failure rolls the work
    back and is recorded (`error`, `attempts`) for the retry sweep and the admin.
    """
    try:
        with transaction.atomic():
            locked = WebhookDelivery.objects.select_for_update().filter(pk=delivery.pk).first()
            if locked is None or locked.processed_at is not None:
                return False
            shop = shop_for_domain(locked.shop_domain)
            _handler(locked.topic)(locked, shop)
            now = timezone.now()
            WebhookDelivery.objects.filter(pk=locked.pk).update(
                shop=shop, processed_at=now, last_attempt_at=now, attempts=F("attempts") + 1, error=""
            )
            return True
    except (PayloadError, KeyError, TypeError, ValueError) as error:
        # A payload we cannot read will not read better later: recorded, retried only by a person.
        _record_failure(delivery, error, give_up=True)
    except Exception as error:
        logger.exception("webhook delivery %s (%s) failed", delivery.pk, delivery.topic)
        _record_failure(delivery, error, give_up=False)
    return False


def webhook_deliveries_due_for_retry(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Primary keys of unprocessed deliveries whose own task is overdue (broker down, worker lost)."""
    now = now or timezone.now()
    due = []
    for delivery in selectors.webhook_deliveries_due_for_retry(
        received_before=now - WEBHOOK_RETRY_AFTER, max_attempts=WEBHOOK_MAX_ATTEMPTS, limit=limit
    ):
        wait = min(WEBHOOK_RETRY_AFTER * 2**delivery.attempts, timedelta(minutes=60))
        if delivery.last_attempt_at is None or delivery.last_attempt_at <= now - wait:
            due.append(delivery.pk)
    return due


def webhook_deliveries_reset_for_reprocessing(*, delivery_ids: list[int]) -> list[int]:
    """Make deliveries processable again (admin "process again"): processing is idempotent."""
    WebhookDelivery.objects.filter(pk__in=delivery_ids).update(processed_at=None, attempts=0, error="")
    return sorted(delivery_ids)


def webhook_deliveries_prune(*, received_before: datetime, batch_size: int = 5000) -> int:
    """Delete processed deliveries received before the cutoff; how many. Their orders live on in the
    mirror; the payloads are copies of Shopify's data (shoppers' addresses among them) that nobody reads
    again. Privacy deliveries stay as the record that a request was honoured (their payloads are already
    erased), and unprocessed ones wait for a person. Batches keep each transaction short."""
    prunable = (
        WebhookDelivery.objects.filter(processed_at__isnull=False, received_at__lt=received_before)
        .exclude(topic__in=topics.PRIVACY_TOPICS)
        .order_by("received_at")
    )
    pruned = 0
    while batch := list(prunable.values_list("pk", flat=True)[:batch_size]):
        _, per_model = WebhookDelivery.objects.filter(pk__in=batch).delete()
        pruned += per_model.get(WebhookDelivery._meta.label, 0)
    return pruned


def _record_failure(delivery: WebhookDelivery, error: Exception, *, give_up: bool) -> None:
    message = f"{type(error).__name__}: {error}"[:_MAX_ERROR_LENGTH]
    WebhookDelivery.objects.filter(pk=delivery.pk, processed_at__isnull=True).update(
        attempts=WEBHOOK_MAX_ATTEMPTS if give_up else F("attempts") + 1,
        last_attempt_at=timezone.now(),
        error=message,
    )


def _handle_order_payload(delivery: WebhookDelivery, shop: Shop) -> None:
    """Write the order. When the stored row has the payload's `updated_at` but says something else, two
    changes of one second arrived out of order and either may be the newer: the order is flagged (kept,
    so a broker outage loses nothing) and read from Shopify. The row is locked first, so two deliveries of
    one order processed at once see each other."""
    data = order_data_from_rest(delivery.payload)
    with transaction.atomic():
        stored = (
            Order.objects.select_for_update()
            .filter(shop=shop, shopify_gid=data.gid)
            .values_list("updated_at_shopify", *TIE_FIELDS)
            .first()
        )
        orders_upsert(shop=shop, orders=[data])
        if stored is not None and stored[0] == data.updated_at and payload_conflicts(data, stored[1:]):
            from shopify_sync.tasks import orders_refresh_enqueue_on_commit

            Order.objects.filter(shop=shop, shopify_gid=data.gid).update(refresh_requested_at=timezone.now())
            orders_refresh_enqueue_on_commit(shop.pk, [data.gid])


def _handle_fulfillment_orders(delivery: WebhookDelivery, shop: Shop) -> None:
    fulfillment_orders_apply_webhook(
        shop=shop, topic=delivery.topic, payload=delivery.payload, triggered_at=delivery.triggered_at
    )


def _handle_orders_delete(delivery: WebhookDelivery, shop: Shop) -> None:
    order_mark_deleted(shop=shop, legacy_id=int(delivery.payload["id"]), at=delivery.triggered_at)


def _handle_app_uninstalled(delivery: WebhookDelivery, shop: Shop) -> None:
    shop_mark_uninstalled(shop=shop, at=delivery.triggered_at or delivery.received_at)


def _handle_bulk_operation_finish(delivery: WebhookDelivery, shop: Shop) -> None:
    payload = delivery.payload
    bulk_operation_finished.send(
        sender=WebhookDelivery,
        shop=shop,
        admin_graphql_api_id=payload["admin_graphql_api_id"],
        status=(payload.get("status") or "").lower(),
        error_code=payload.get("error_code"),
        completed_at=payload.get("completed_at"),
    )


def _handle_customers_data_request(delivery: WebhookDelivery, shop: Shop) -> None:
    customer_data_request_fulfil(shop=shop, delivery=delivery)


def _handle_customers_redact(delivery: WebhookDelivery, shop: Shop) -> None:
    customer_redact(shop=shop, delivery=delivery)


def _handle_shop_redact(delivery: WebhookDelivery, shop: Shop) -> None:
    shop_redact(shop=shop, keep_delivery=delivery)


def _handle_return(delivery: WebhookDelivery, shop: Shop) -> None:
    """A return changed in Shopify: the domain reads it again. The bodies differ by topic (a decline's names
    no order), so only the ids are taken; a body without the return's id is unreadable."""
    payload = delivery.payload
    return_gid = payload.get("admin_graphql_api_id") or f"gid://shopify/Return/{int(payload['id'])}"
    order = payload.get("order") or {}
    order_gid = order.get("admin_graphql_api_id") or (
        f"gid://shopify/Order/{int(payload['order_id'])}" if payload.get("order_id") else None
    )
    return_changed.send(
        sender=WebhookDelivery, shop=shop, topic=delivery.topic, return_gid=return_gid, order_gid=order_gid
    )


def _ignore(delivery: WebhookDelivery, shop: Shop) -> None:
    """A topic stored before the portal stopped handling it."""


_HANDLERS: dict[str, Callable[[WebhookDelivery, Shop], None]] = {
    **dict.fromkeys(topics.ORDER_PAYLOAD_TOPICS, _handle_order_payload),
    **dict.fromkeys(topics.FULFILLMENT_ORDERS_TOPICS, _handle_fulfillment_orders),
    topics.ORDERS_DELETE: _handle_orders_delete,
    topics.APP_UNINSTALLED: _handle_app_uninstalled,
    topics.BULK_OPERATIONS_FINISH: _handle_bulk_operation_finish,
    **dict.fromkeys(topics.RETURN_TOPICS, _handle_return),
    topics.CUSTOMERS_DATA_REQUEST: _handle_customers_data_request,
    topics.CUSTOMERS_REDACT: _handle_customers_redact,
    topics.SHOP_REDACT: _handle_shop_redact,
}


def _handler(topic: str) -> Callable[[WebhookDelivery, Shop], None]:
    return _HANDLERS.get(topic, _ignore)
