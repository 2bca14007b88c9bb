"""Signals the mirror sends so other apps (the `cancellations` domain) can react without being imported.

Receivers run in the sender's transaction when there is one: side effects (tasks, e-mails) belong in
`transaction.on_commit`. An exception in a receiver propagates, so the webhook delivery that caused it is
recorded as failed and retried: receivers must be idempotent.
"""

from __future__ import annotations

from django.dispatch import Signal

# sender=Order; shop: Shop, order_ids: list[int] (mirror primary keys of the rows written).
order_synced = Signal()

# sender=WebhookDelivery; shop: Shop, admin_graphql_api_id: str, status: str, error_code: str | None,
# completed_at: str | None. Nothing in the project listens yet: the bulk import polls its operation.
bulk_operation_finished = Signal()

# sender=WebhookDelivery; shop: Shop, topic: str (one of `webhooks.topics.RETURN_TOPICS`), return_gid: str,
# order_gid: str | None (not every body names the order). A return was decided, cancelled or closed in
# Shopify: read it there (the body is only a hint, and deliveries may arrive out of order).
return_changed = Signal()

# sender=Customer; shop: Shop, customer_legacy_id: int | None, email: str, order_ids: list[int].
# Sent after the mirror erased the shopper's personal data: blank yours for the same orders/e-mail.
customer_redacted = Signal()

# sender=Customer; shop: Shop, customer_legacy_id: int | None, email: str, order_ids: list[int].
# Return a JSON-serialisable dict of what your app holds on the shopper: it goes into the document.
customer_data_requested = Signal()

# sender=Shop; shop: Shop. Sent before the mirror deletes the shop's orders and customers: delete what
# your app holds for the shop (rows that protect an order from deletion would otherwise block it).
shop_redacted = Signal()
