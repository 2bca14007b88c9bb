"""Reads of the insights page about keeping orders: the offers shoppers saw on their way to cancelling
(shown, taken, declined, and the value of the orders kept by a taken offer), and the item edits that
changed an order instead of cancelling it. One aggregate query each, like `cancellations.insights`.

Offers count by the week they were shown; item edits by the week they were asked for. Amounts are in the
shop's currency (a range over several stores is never summed across currencies: `DateRange.shop_id`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from cancellations.insights import ZERO, DateRange, _day, _week, requests_in
from cancellations.models import Request, RetentionOffer
from shopify_sync.models import MONEY

TAKEN = Q(outcome=RetentionOffer.Outcome.TAKEN)


def offers_in(span: DateRange) -> QuerySet[RetentionOffer]:
    offers = RetentionOffer.objects.filter(shown_at__gte=span.since, shown_at__lt=span.until)
    return offers if span.shop_id is None else offers.filter(order__shop_id=span.shop_id)


def _money(expression) -> Coalesce:
    return Coalesce(expression, Value(ZERO), output_field=DecimalField(**MONEY))


def offers_by_kind(span: DateRange) -> list[dict[str, Any]]:
    """Per kind of offer: shown, taken, declined (the rest: left without a choice), revenue kept."""
    rows = (
        offers_in(span)
        .values("kind")
        .annotate(
            shown=Count("pk"),
            taken=Count("pk", filter=TAKEN),
            declined=Count("pk", filter=Q(outcome=RetentionOffer.Outcome.DECLINED)),
            kept_value=_money(Sum("order_value", filter=TAKEN)),
            bonus_value=_money(Sum("bonus_amount", filter=TAKEN)),
        )
        .order_by("kind")
    )
    labels = dict(RetentionOffer.Kind.choices)
    return [{**row, "label": labels.get(row["kind"], row["kind"])} for row in rows]


def offers_per_week(span: DateRange) -> list[dict[str, Any]]:
    rows = (
        offers_in(span)
        .annotate(week=_week("shown_at"))
        .values("week")
        .annotate(
            shown=Count("pk"),
            taken=Count("pk", filter=TAKEN),
            kept_value=_money(Sum("order_value", filter=TAKEN)),
        )
        .order_by("week")
    )
    return [{**row, "week": _day(row["week"])} for row in rows]


def item_edits_per_week(span: DateRange) -> list[dict[str, Any]]:
    """Item edits asked for, and completed, per week: orders changed rather than cancelled."""
    rows = (
        requests_in(span)
        .filter(kind=Request.Kind.ITEM_EDIT)
        .annotate(week=_week("created_at"))
        .values("week")
        .annotate(
            edits=Count("pk"),
            completed=Count("pk", filter=Q(state=Request.State.COMPLETED)),
            refunded=_money(Sum("refund_amount", filter=Q(state=Request.State.COMPLETED))),
        )
        .order_by("week")
    )
    return [{**row, "week": _day(row["week"])} for row in rows]
