"""Reads the shopper pages, the admin and the tasks share. Ownership of an order is decided here, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from cancellations.models import CancelReason, Policy, Request, RequestEvent, ShopifyMutation
from shopify_sync.models import Customer, Order, Shop


@dataclass(frozen=True, slots=True)
class OrderPass:
    """A guest's proof that one order is theirs: its e-mail was shown to be theirs (a one-time code sent
    there) or the link Shopify's own e-mail carried was signed for it. Opens that order and nothing else.

    Passed wherever a shopper is (`shopper=`), like a user; it is not one (no account, no `pk`)."""

    order_id: int
    email: str
    is_authenticated = False


def account_of(shopper) -> Any:
    """The user behind `shopper` for foreign keys and the audit, None for a guest."""
    if shopper is None or isinstance(shopper, OrderPass):
        return None
    return shopper if getattr(shopper, "is_authenticated", False) else None


def verified_emails(user) -> set[str]:
    """The user's e-mail addresses that were proven to belong to them, lower-cased.

    With django-allauth installed these are its verified `EmailAddress` rows; without it, `user.email`
    (the only address Django knows; staff-created accounts are trusted). A guest's `OrderPass`: its one.
    """
    if isinstance(user, OrderPass):
        return {user.email.strip().lower()}
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if apps.is_installed("allauth.account"):
        from allauth.account.models import EmailAddress

        found = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
        return {email.strip().lower() for email in found if email}
    return {user.email.strip().lower()} if user.email else set()


def orders_for_shopper(user, *, shop: Shop | None = None) -> QuerySet[Order]:
    """The orders `user` owns, newest first: the order's e-mail, or its customer's, is one of the user's
    verified addresses (the mirror stores both lower-cased). Orders Shopify deleted are hidden.

    The owned ids are a UNION of two indexed lookups (orders by e-mail; the customers with those e-mails,
    then their orders), not `email IN … OR customer.email IN …`: PostgreSQL cannot use an index for an OR
    across a join, so that form reads the whole mirror (~90 ms at 50,000 orders) where this one reads the
    shopper's few rows whatever the store's size. `cancellations/tests/test_selectors_at_scale.py` keeps
    it so with EXPLAIN."""
    emails = verified_emails(user)
    if not emails:
        return Order.objects.none()
    by_email = Order.objects.filter(email__in=emails).values("pk")
    by_customer = Order.objects.filter(
        customer__in=Customer.objects.filter(email__in=emails).values("pk")
    ).values("pk")
    orders = Order.objects.filter(pk__in=by_email.union(by_customer), deleted_at__isnull=True)
    if isinstance(user, OrderPass):
        orders = orders.filter(pk=user.order_id)
    if shop is not None:
        orders = orders.filter(shop=shop)
    return orders.select_related("customer", "shop").order_by("-processed_at", "-pk")


def owning_email(user, order: Order) -> str:
    """Which of the user's verified addresses owns the order ("" when none does)."""
    if isinstance(user, OrderPass) and user.order_id != order.pk:
        return ""
    emails = verified_emails(user)
    for candidate in (order.email, order.customer.email if order.customer is not None else ""):
        if candidate and candidate.strip().lower() in emails:
            return candidate.strip().lower()
    return ""


def policy_for_shop(shop: Shop) -> Policy | None:
    return Policy.objects.filter(shop=shop).first()


def active_reasons(policy: Policy) -> QuerySet[CancelReason]:
    return policy.reasons.filter(active=True).order_by("position", "pk")


def request_events(request: Request) -> QuerySet[RequestEvent]:
    return request.events.select_related("actor").order_by("pk")


def request_plan_rows(request_id: int | str) -> QuerySet[ShopifyMutation]:
    """A request's Shopify calls in the order the push makes them (the console's plan table)."""
    return ShopifyMutation.objects.filter(request_id=request_id).order_by("position")
