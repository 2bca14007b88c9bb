"""The EU withdrawal function: a consumer withdraws from the contract in two steps (the statement, then a
separate confirmation); on confirmation the statement is recorded with its time of receipt, acknowledged
by e-mail at once, and becomes a cancel request (nothing shipped) or a return request of everything that
shipped, with the windows and conditions of the store's policy set aside (`policy.WITHDRAWAL_OVERRIDES`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cancellations.errors import RequestNotAllowed
from cancellations.models import Request, Withdrawal
from cancellations.policy import Verdict, shipped, withdrawal_verdict
from cancellations.queue import (
    enqueue_withdrawal_acknowledgement,
    enqueue_withdrawal_acknowledgement_on_commit,
)
from cancellations.selectors import owning_email
from cancellations.services.live import shopify_live
from cancellations.services.policies import policy_get_or_create
from cancellations.services.requests import request_submit
from shopify_sync.client import ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.deliveries import OrderDeliveries
from shopify_sync.models import Order

logger = logging.getLogger(__name__)

# What a withdrawal becomes when something shipped: a return of it all, for Shopify's one shared reason.
WITHDRAWAL_RETURN_REASON = "OTHER"
ACKNOWLEDGEMENT_GRACE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class WithdrawalCheck:
    verdict: Verdict
    shipped: bool  # something left the warehouse: the withdrawal becomes a return


def _has_open_request(order: Order) -> bool:
    return Request.objects.filter(
        order=order, kind__in=(Request.Kind.CANCEL, Request.Kind.RETURN), state__in=Request.OPEN_STATES
    ).exists()


def withdrawal_check(
    *, order: Order, shopper, client: ShopifyClient | None = None, now: datetime | None = None
) -> WithdrawalCheck:
    """May the shopper withdraw now? Reads the order's deliveries from Shopify (the period runs from
    delivery, which the mirror does not know)."""
    if not owning_email(shopper, order):
        raise RequestNotAllowed(_("This order is not one of yours."), code="not_owner")
    policy = policy_get_or_create(shop=order.shop)
    deliveries: OrderDeliveries | None = None
    if policy.withdrawal_enabled and order.cancelled_at is None:
        client = client or client_for(order.shop)
        deliveries = shopify_live(lambda: client.order_deliveries(order.shopify_gid))
        if deliveries is None:
            raise RequestNotAllowed(_("This order no longer exists in the store."), code="order_gone")
    verdict = withdrawal_verdict(
        policy=policy,
        order=order,
        now=now or timezone.now(),
        last_delivered_at=deliveries.last_delivered_at if deliveries else None,
        has_open_request=_has_open_request(order),
    )
    return WithdrawalCheck(verdict, bool(deliveries and deliveries.shipped) or shipped(order))


def _statement(*, order: Order, name: str, email: str, received_at: datetime, language: str) -> str:
    with translation.override(language):
        return render_to_string(
            "emails/withdrawal/statement.txt",
            {"order": order, "name": name, "email": email, "received_at": received_at, "shop": order.shop},
        ).strip()


def withdrawal_submit(
    *,
    order: Order,
    shopper,
    name: str,
    email: str,
    language: str,
    via: str,
    client: ShopifyClient | None = None,
    now: datetime | None = None,
) -> Withdrawal:
    """The consumer confirmed: record the statement, make the request, acknowledge by e-mail (on commit)."""
    now = now or timezone.now()
    name, email = name.strip(), email.strip().lower()
    if not name:
        raise RequestNotAllowed(_("Enter your name."), code="name_missing")
    if not email:
        raise RequestNotAllowed(_("Enter the email address for the acknowledgement."), code="email_missing")
    client = client or client_for(order.shop)
    checked = withdrawal_check(order=order, shopper=shopper, client=client, now=now)
    if not checked.verdict:
        raise RequestNotAllowed(checked.verdict.message, code=checked.verdict.code)
    return_lines = None
    if checked.shipped:
        returnables = shopify_live(lambda: client.order_returnables(order.shopify_gid))
        return_lines = [
            {
                "fulfillment_line_item_gid": line.fulfillment_line_item_gid,
                "line_item_gid": line.line_item_gid,
                "title": line.title,
                "variant_title": line.variant_title,
                "quantity": line.returnable,
            }
            for line in (returnables.lines if returnables else [])
            if line.returnable > 0
        ]
        if not return_lines:
            raise RequestNotAllowed(
                _("Everything shipped on this order is already being returned."), code="nothing_to_return"
            )
    statement = _statement(order=order, name=name, email=email, received_at=now, language=language)
    with transaction.atomic():
        request = request_submit(
            order=order,
            shopper=shopper,
            kind=Request.Kind.RETURN if return_lines else Request.Kind.CANCEL,
            reason_code=WITHDRAWAL_RETURN_REASON if return_lines else "",
            reason_text=str(_("Withdrawal from the contract (EU)")),
            return_lines=return_lines,
            language=language,
            withdrawal=True,
            now=now,
        )
        withdrawal = Withdrawal.objects.create(
            order=order,
            request=request,
            name=name[:200],
            email=email,
            language=request.language,
            statement=statement,
            received_at=now,
            via=via[:16],
        )
        enqueue_withdrawal_acknowledgement_on_commit(withdrawal.pk)
    return withdrawal


def withdrawal_acknowledge(*, withdrawal_id: int, now: datetime | None = None) -> bool:
    """E-mail the acknowledgement (the statement, the date and time of receipt), once: claimed before
    sending, the claim undone when sending fails so the task (or the sweep) tries again."""
    now = now or timezone.now()
    if not Withdrawal.objects.filter(pk=withdrawal_id, acknowledged_at__isnull=True).update(
        acknowledged_at=now
    ):
        return False
    withdrawal = Withdrawal.objects.select_related("order__shop", "request").get(pk=withdrawal_id)
    shop = withdrawal.order.shop
    context = {"withdrawal": withdrawal, "order": withdrawal.order, "shop_name": shop.name or shop.domain}
    try:
        with translation.override(withdrawal.language):
            subject = " ".join(
                render_to_string("emails/withdrawal/acknowledgement_subject.txt", context).split()
            )
            text = render_to_string("emails/withdrawal/acknowledgement.txt", context)
            html = render_to_string("emails/withdrawal/acknowledgement.html", context)
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [withdrawal.email])
        message.attach_alternative(html, "text/html")
        message.send()
    except Exception:
        Withdrawal.objects.filter(pk=withdrawal_id).update(acknowledged_at=None)
        raise
    logger.info("withdrawal %s acknowledged", withdrawal_id)
    return True


def withdrawal_acknowledgements_requeue(*, now: datetime | None = None) -> int:
    """The sweep: acknowledgements still unsent a while after receipt (broker down, mail server down)."""
    now = now or timezone.now()
    unsent = Withdrawal.objects.filter(
        acknowledged_at__isnull=True, received_at__lt=now - ACKNOWLEDGEMENT_GRACE
    ).values_list("pk", flat=True)[:500]
    return sum(1 for pk in unsent if enqueue_withdrawal_acknowledgement(pk))
