"""What a shopper did with the offers to keep their order, and the bonus that follows a kept order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations import offers
from cancellations.errors import RequestNotAllowed
from cancellations.models import RetentionOffer
from cancellations.policy import SHIPPED
from cancellations.selectors import account_of, owning_email
from cancellations.services.policies import policy_get_or_create
from cancellations.services.requests import keep_bonus_request_create
from shopify_sync.models import Order


def offers_show(
    *,
    order: Order,
    shopper,
    kinds: Iterable[str],
    reason_code: str,
    language: str,
    now: datetime | None = None,
) -> list[RetentionOffer]:
    """Record the offers a shopper is about to see (insights count them as shown)."""
    now = now or timezone.now()
    email = owning_email(shopper, order)
    if not email:
        raise RequestNotAllowed(_("This order is not one of yours."), code="not_owner")
    policy = policy_get_or_create(shop=order.shop)
    bonus = offers.keep_bonus_amount(policy, order)
    return RetentionOffer.objects.bulk_create(
        RetentionOffer(
            order=order,
            shopper=account_of(shopper),
            shopper_email=email,
            language=language,
            kind=kind,
            reason_code=reason_code,
            order_value=offers.order_value(order),
            bonus_amount=bonus if kind == RetentionOffer.Kind.KEEP_BONUS else None,
            shown_at=now,
        )
        for kind in kinds
    )


def _decide(offer_ids: Iterable[int], *, order: Order, outcome: str, now: datetime) -> list[RetentionOffer]:
    with transaction.atomic():
        shown = list(
            RetentionOffer.objects.select_for_update().filter(
                pk__in=list(offer_ids), order=order, outcome=RetentionOffer.Outcome.SHOWN
            )
        )
        for offer in shown:
            offer.outcome, offer.decided_at = outcome, now
            offer.save(update_fields=["outcome", "decided_at"])
    return shown


def offer_take(
    *, order: Order, offer_ids: Iterable[int], kind: str, now: datetime | None = None
) -> RetentionOffer:
    """The shopper took the offer of `kind` (the others shown with it are declined). A kept order's bonus
    is issued once it ships (`bonuses_issue`)."""
    now = now or timezone.now()
    offer_ids = list(offer_ids)
    with transaction.atomic():
        taken = _decide(offer_ids, order=order, outcome=RetentionOffer.Outcome.TAKEN, now=now)
        chosen = next((o for o in taken if o.kind == kind), None)
        if chosen is None:
            raise RequestNotAllowed(_("That offer is no longer open."), code="offer_closed")
        others = [o.pk for o in taken if o.pk != chosen.pk]
        RetentionOffer.objects.filter(pk__in=others).update(outcome=RetentionOffer.Outcome.DECLINED)
    transaction.on_commit(lambda: bonuses_issue(order_ids=[order.pk]))
    return chosen


def offers_decline(*, order: Order, offer_ids: Iterable[int], now: datetime | None = None) -> int:
    """The shopper went on to cancel: every offer they were shown is declined."""
    return len(
        _decide(offer_ids, order=order, outcome=RetentionOffer.Outcome.DECLINED, now=now or timezone.now())
    )


def bonuses_issue(*, order_ids: Iterable[int] | None, now: datetime | None = None) -> int:
    """Taken keep-the-order bonuses whose order has shipped become requests the outbox pushes (one each,
    once: the offer row is locked and linked to its request in one transaction). A cancelled order's
    bonus is never issued. Called when the mirror shows orders changed, right after a take, and by the
    sweeper for every order (`order_ids=None`)."""
    now = now or timezone.now()
    issued = 0
    offers = RetentionOffer.objects.all()
    if order_ids is not None:
        offers = offers.filter(order_id__in=list(order_ids))
    waiting = offers.filter(
        kind=RetentionOffer.Kind.KEEP_BONUS,
        outcome=RetentionOffer.Outcome.TAKEN,
        request__isnull=True,
        order__cancelled_at__isnull=True,
        order__deleted_at__isnull=True,
        order__fulfillment_status__in=list(SHIPPED),
    ).values_list("pk", flat=True)
    for offer_id in list(waiting):
        with transaction.atomic():
            offer = (
                RetentionOffer.objects.select_for_update(of=("self",))
                .select_related("order", "order__shop")
                .get(pk=offer_id)
            )
            if offer.request_id is not None:
                continue  # another worker issued it between our read and our lock
            offer.request = keep_bonus_request_create(offer=offer, now=now)
            offer.save(update_fields=["request"])
            issued += 1
    return issued
