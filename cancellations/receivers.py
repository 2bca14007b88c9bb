"""How `cancellations` listens to the mirror. Connected in `CancellationsConfig.ready()`; shopify_sync
never imports this app, it only sends its signals."""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from cancellations.queue import enqueue_hold_on_commit, enqueue_return_follow_on_commit
from cancellations.selectors import policy_for_shop
from cancellations.services.holds import orders_to_hold
from cancellations.services.offers import bonuses_issue
from cancellations.services.privacy import (
    requests_data_for_shopper,
    requests_delete_for_shop,
    requests_redact_shopper,
)
from cancellations.services.reactions import requests_react_to_orders
from cancellations.services.returns import returns_to_follow
from shopify_sync.signals import (
    customer_data_requested,
    customer_redacted,
    order_synced,
    return_changed,
    shop_redacted,
)


@receiver(order_synced, dispatch_uid="cancellations_react_to_synced_orders")
def react_to_synced_orders(sender, *, shop, order_ids, **kwargs) -> None:
    order_ids = list(order_ids)
    requests_react_to_orders(order_ids=order_ids)
    # One read of the shop's policy decides whether anything more is to do (the sync's budget is a few
    # queries per batch of orders); the sweeper catches what a policy changed since leaves behind.
    policy = policy_for_shop(shop)
    if policy is None:
        return
    if policy.offer_keep_bonus:
        # A kept order that has now shipped earns its bonus (its push is queued on the mirror's commit).
        bonuses_issue(order_ids=order_ids)
    if policy.hold_fulfilment:
        # New orders get their hold while a window is open (a task, after the commit).
        for order_id in orders_to_hold(order_ids, now=timezone.now(), policies=[policy]):
            enqueue_hold_on_commit(order_id)


@receiver(return_changed, dispatch_uid="cancellations_follow_returns_decided_in_shopify")
def follow_returns_decided_in_shopify(sender, *, shop, return_gid, order_gid, **kwargs) -> None:
    # Shopify is read in a task, after the delivery's commit: a webhook is a hint, Shopify the truth.
    for request_id in returns_to_follow(shop=shop, return_gid=return_gid, order_gid=order_gid):
        enqueue_return_follow_on_commit(request_id)


@receiver(customer_redacted, dispatch_uid="cancellations_redact_shopper")
def redact_shopper(sender, *, shop, email, order_ids, **kwargs) -> None:
    requests_redact_shopper(shop=shop, email=email, order_ids=order_ids)


@receiver(customer_data_requested, dispatch_uid="cancellations_shopper_data")
def shopper_data(sender, *, shop, email, order_ids, **kwargs) -> dict:
    return requests_data_for_shopper(shop=shop, email=email, order_ids=order_ids)


@receiver(shop_redacted, dispatch_uid="cancellations_delete_shop_requests")
def delete_shop_requests(sender, *, shop, **kwargs) -> None:
    requests_delete_for_shop(shop=shop)
