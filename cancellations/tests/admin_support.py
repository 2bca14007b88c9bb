"""Builders shared by the merchant console's tests: moderators, staff without the group, and waiting
requests made the real way (a shopper submits under a policy that needs a merchant's decision)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from cancellations.models import Policy, Request, ShopifyMutation
from cancellations.services import request_approve, request_submit
from cancellations.services.transitions import Actor, request_move
from cancellations.tasks import push_request
from cancellations.tests.factories import ADDRESS, MerchantFactory, ShopperFactory
from shopify_sync.models import Order, Shop
from shopify_sync.tests.conftest import queued
from shopify_sync.tests.factories import LineItemFactory, OrderFactory

MODERATORS = "Moderators"
CHANGELIST = "admin:cancellations_request_changelist"
NEW_ADDRESS = {**ADDRESS, "address1": "99 Queen St W", "zip": "M5H 2N2"}


def moderator_make(**fields: Any):
    user = MerchantFactory(**fields)
    user.groups.add(Group.objects.get(name=MODERATORS))
    return user


def staff_without_group_make(**fields: Any):
    """Staff who may look at requests (view and change) but is not a moderator."""
    user = MerchantFactory(**fields)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="cancellations",
            codename__in=["view_request", "change_request", "view_policy", "view_cancelreason"],
        )
    )
    return user


def moderated(policy: Policy) -> Policy:
    policy.auto_approve_cancels = False
    policy.auto_approve_address_changes = False
    policy.auto_approve_item_edits = False
    policy.save()
    return policy


def order_make(shop: Shop, email: str, *, age: timedelta = timedelta(minutes=10), **fields: Any) -> Order:
    placed = timezone.now() - age
    fields.setdefault("shipping_address", ADDRESS)
    order = OrderFactory(
        shop=shop,
        customer=None,
        email=email,
        processed_at=placed,
        created_at_shopify=placed,
        updated_at_shopify=placed,
        **fields,
    )
    LineItemFactory(order=order, title="Celadon cup", quantity=2, current_quantity=2, unfulfilled_quantity=2)
    return order


def waiting_make(
    shop: Shop,
    *,
    count: int = 1,
    kind: str = Request.Kind.CANCEL,
    reason_code: str = "changed_my_mind",
    reason_text: str = "",
) -> list[Request]:
    """`count` submitted requests, each by its own shopper on their own order."""
    made = []
    for _ in range(count):
        shopper = ShopperFactory()
        order = order_make(shop, shopper.email)
        made.append(
            request_submit(
                order=order,
                shopper=shopper,
                kind=kind,
                reason_code=reason_code if kind == Request.Kind.CANCEL else "",
                reason_text=reason_text,
                address=NEW_ADDRESS if kind == Request.Kind.ADDRESS_CHANGE else None,
            )
        )
    return made


def failed_make(shop: Shop, moderator) -> Request:
    """A cancel request a merchant approved and whose push failed (Shopify refused it)."""
    (request,) = waiting_make(shop)
    request_approve(request=request, moderator=moderator)
    error = "Cannot cancel an order that has already been canceled"
    request.mutations.update(
        state=ShopifyMutation.State.FAILED, error=error, result_id="gid://shopify/Job/42"
    )
    return request_move(
        request.pk,
        to=Request.State.FAILED,
        actor=Actor.system("push"),
        now=timezone.now(),
        failure_code=Request.Failure.SHOPIFY_REFUSED,
        last_error=error,
    )


def pushes_queued(callbacks: list) -> list[int]:
    """The request ids whose push the captured on-commit callbacks would queue."""
    return [args[0] for name, args in queued(callbacks) if name == push_request.name]


def action_post(client, action: str, requests: list[Request], *, follow: bool = False):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [r.pk for r in requests], "index": 0},
        follow=follow,
    )


def money(value: str) -> Decimal:
    return Decimal(value)
