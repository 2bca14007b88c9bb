"""Reads of the insights page: what shoppers cancel, why, how fast, and what it costs.

Each function is one query that aggregates in the database (GROUP BY week, conditional counts and sums);
nothing loops over orders in Python. Weeks start on Monday (`TruncWeek`) in the active time zone.

Which rows count:
- order figures (cancellation rate, products) take the orders *placed* in the range;
- request figures (reasons, time to request, refunds, address fixes) take the requests *made* in it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncWeek
from django.utils import timezone

from cancellations.models import RefundMethod, Request
from shopify_sync.models import MONEY, LineItem, Order

WRONG_ADDRESS = "wrong_address"
TOP_PRODUCTS = 10
ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class DateRange:
    """Whole days, both ends included, in the active time zone; of one store's orders when `shop_id` is
    set (amounts of several stores may be in several currencies: never summed together)."""

    start: date
    end: date
    shop_id: int | None = None

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @classmethod
    def last_weeks(cls, weeks: int = 12, today: date | None = None, shop_id: int | None = None) -> DateRange:
        """The current week and the `weeks - 1` before it, from a Monday, so no week is cut short."""
        today = today or timezone.localdate()
        this_monday = today - timedelta(days=today.weekday())
        return cls(start=this_monday - timedelta(weeks=weeks - 1), end=today, shop_id=shop_id)


def _week(field: str) -> TruncWeek:
    return TruncWeek(field, output_field=DateTimeField())


def _day(value: Any) -> date:
    """TruncWeek gives a datetime on PostgreSQL and SQLite alike; the page shows the Monday's date."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def requests_in(span: DateRange) -> QuerySet[Request]:
    requests = Request.objects.filter(created_at__gte=span.since, created_at__lt=span.until)
    return requests if span.shop_id is None else requests.filter(order__shop_id=span.shop_id)


def orders_in(span: DateRange) -> QuerySet[Order]:
    orders = Order.objects.filter(processed_at__gte=span.since, processed_at__lt=span.until)
    return orders if span.shop_id is None else orders.filter(shop_id=span.shop_id)


# -- charts --------------------------------------------------------------------------------------------


def cancels_by_reason_per_week(span: DateRange) -> list[dict[str, Any]]:
    """Cancel requests per week and reason code (every request the shopper made, whatever came of it)."""
    rows = (
        requests_in(span)
        .filter(kind=Request.Kind.CANCEL)
        .annotate(week=_week("created_at"))
        .values("week", "reason_code")
        .annotate(requests=Count("pk"))
        .order_by("week", "reason_code")
    )
    return [
        {"week": _day(row["week"]), "reason": row["reason_code"], "requests": row["requests"]} for row in rows
    ]


def cancellation_rate_per_week(span: DateRange) -> list[dict[str, Any]]:
    """Orders placed per week, how many of them are cancelled (in Shopify, by anyone) and how many of
    those through the portal (a completed cancel request)."""
    # A join on the (at most one) completed cancel of each order, not an EXISTS per order: PostgreSQL
    # estimates the subplan so high that it JIT-compiles the query, which costs more than the query.
    rows = (
        orders_in(span)
        .filter(deleted_at__isnull=True)
        .annotate(
            week=_week("processed_at"),
            portal_cancel=FilteredRelation(
                "cancellation_requests",
                condition=Q(
                    cancellation_requests__kind=Request.Kind.CANCEL,
                    cancellation_requests__state=Request.State.COMPLETED,
                ),
            ),
        )
        .values("week")
        .annotate(
            orders=Count("pk", distinct=True),
            cancelled=Count("pk", distinct=True, filter=Q(cancelled_at__isnull=False)),
            cancelled_by_portal=Count(
                "pk", distinct=True, filter=Q(cancelled_at__isnull=False, portal_cancel__isnull=False)
            ),
        )
        .order_by("week")
    )
    return [
        {
            "week": _day(row["week"]),
            "orders": row["orders"],
            "cancelled": row["cancelled"],
            "cancelled_by_portal": row["cancelled_by_portal"],
            "rate": (row["cancelled"] / row["orders"]) if row["orders"] else 0.0,
            "rate_percent": round(100 * row["cancelled"] / row["orders"], 1) if row["orders"] else 0.0,
        }
        for row in rows
    ]


def address_fixes_per_week(span: DateRange) -> list[dict[str, Any]]:
    """Address changes that kept an order alive, per week.

    An *address fix that replaced a cancellation* is a completed address-change request whose order is
    not cancelled (Shopify shows no cancel and no cancel request of the portal completed). Of those,
    `after_cancel_request` counts the orders whose shopper had first asked to cancel for the “wrong
    address” reason: the clearest cases of a fix saving an order.
    """
    cancel_done = Request.objects.filter(
        order=OuterRef("order_id"), kind=Request.Kind.CANCEL, state=Request.State.COMPLETED
    )
    asked_cancel_for_address = Request.objects.filter(
        order=OuterRef("order_id"),
        kind=Request.Kind.CANCEL,
        reason_code=WRONG_ADDRESS,
        created_at__lte=OuterRef("created_at"),
    )
    rows = (
        requests_in(span)
        .filter(kind=Request.Kind.ADDRESS_CHANGE)
        .annotate(
            week=_week("created_at"),
            order_cancelled=Exists(cancel_done),
            first_asked_cancel=Exists(asked_cancel_for_address),
        )
        .values("week")
        .annotate(
            address_changes=Count("pk"),
            fixes=Count(
                "pk",
                filter=Q(
                    state=Request.State.COMPLETED, order__cancelled_at__isnull=True, order_cancelled=False
                ),
            ),
            after_cancel_request=Count(
                "pk",
                filter=Q(
                    state=Request.State.COMPLETED,
                    order__cancelled_at__isnull=True,
                    order_cancelled=False,
                    first_asked_cancel=True,
                ),
            ),
        )
        .order_by("week")
    )
    return [
        {
            "week": _day(row["week"]),
            "address_changes": row["address_changes"],
            "fixes": row["fixes"],
            "after_cancel_request": row["after_cancel_request"],
        }
        for row in rows
    ]


def most_cancelled_products(span: DateRange, limit: int = TOP_PRODUCTS) -> list[dict[str, Any]]:
    """Products (by title) on the most cancelled orders placed in the range, with the units ordered."""
    lines = LineItem.objects.filter(
        order__processed_at__gte=span.since,
        order__processed_at__lt=span.until,
        order__cancelled_at__isnull=False,
        order__deleted_at__isnull=True,
    )
    if span.shop_id is not None:
        lines = lines.filter(order__shop_id=span.shop_id)
    rows = (
        lines.values("title")
        .annotate(orders=Count("order_id", distinct=True), units=Sum("quantity"))
        .order_by("-orders", "-units", "title")[:limit]
    )
    return [{"title": row["title"], "orders": row["orders"], "units": row["units"] or 0} for row in rows]


class Median(Aggregate):
    """PostgreSQL's `percentile_cont(0.5) WITHIN GROUP (ORDER BY …)`."""

    function = "percentile_cont"
    name = "median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class EpochSeconds(Func):
    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def _request_delay_seconds_pg() -> EpochSeconds:
    return EpochSeconds(F("created_at") - F("order__processed_at"))


def _request_delay_sqlite() -> ExpressionWrapper:
    # On SQLite, Django computes datetime differences in microseconds (an integer).
    return ExpressionWrapper(F("created_at") - F("order__processed_at"), output_field=DurationField())


def median_hours_to_cancel_request_per_week(span: DateRange) -> list[dict[str, Any]]:
    """The median time from placing an order to asking to cancel it, per week of the request, in hours.

    PostgreSQL: `percentile_cont` per group. SQLite (development) has no percentile aggregate: the same
    figure in one query from window functions, numbering each week's delays in order and keeping the
    middle one (or two, averaged here) per week.
    """
    cancels = requests_in(span).filter(kind=Request.Kind.CANCEL)
    if connection.vendor == "postgresql":
        rows = (
            cancels.annotate(week=_week("created_at"))
            .values("week")
            .annotate(median_seconds=Median(_request_delay_seconds_pg()), requests=Count("pk"))
            .order_by("week")
        )
        return [
            {
                "week": _day(row["week"]),
                "requests": row["requests"],
                "median_hours": round(row["median_seconds"] / 3600, 2),
            }
            for row in rows
        ]
    return _median_per_week_by_window(cancels)


def _median_per_week_by_window(cancels: QuerySet[Request]) -> list[dict[str, Any]]:
    week = _week("created_at")
    middle = (
        cancels.annotate(
            week=week,
            delay=_request_delay_sqlite(),
            position=Window(
                RowNumber(), partition_by=[week], order_by=[_request_delay_sqlite().asc(), F("pk")]
            ),
            size=Window(Count("pk"), partition_by=[week]),
        )
        .filter(
            Q(position=(F("size") + 1) / 2) | Q(position=(F("size") + 2) / 2),
        )
        .values_list("week", "delay", "size")
        .order_by("week")
    )
    found: dict[Any, dict[str, Any]] = {}
    for week_value, delay, size in middle:
        row = found.setdefault(week_value, {"delays": [], "size": size})
        row["delays"].append(delay if isinstance(delay, timedelta) else timedelta(microseconds=delay))
    return [
        {
            "week": _day(week_value),
            "requests": row["size"],
            "median_hours": round(
                sum(row["delays"], timedelta()).total_seconds() / len(row["delays"]) / 3600, 2
            ),
        }
        for week_value, row in sorted(found.items(), key=lambda item: item[0])
    ]


def refunded_versus_kept_per_week(span: DateRange) -> list[dict[str, Any]]:
    """For the orders the portal cancelled (completed cancel requests), per week of the request: what went
    back to the shopper's payment, what went back as store credit, and what the store kept. Amounts are
    the mirror's (what Shopify shows), in the shop's currency."""
    money = DecimalField(**MONEY)
    kept = ExpressionWrapper(F("order__total_price") - F("order__total_refunded"), output_field=money)
    rows = (
        requests_in(span)
        .filter(kind=Request.Kind.CANCEL, state=Request.State.COMPLETED)
        .annotate(week=_week("created_at"))
        .values("week")
        .annotate(
            cancels=Count("pk"),
            refunded=Coalesce(
                Sum("order__total_refunded", filter=~Q(refund=RefundMethod.STORE_CREDIT)),
                ZERO,
                output_field=money,
            ),
            store_credit=Coalesce(
                Sum("order__total_refunded", filter=Q(refund=RefundMethod.STORE_CREDIT)),
                ZERO,
                output_field=money,
            ),
            kept=Coalesce(Sum(kept), ZERO, output_field=money),
            order_value=Coalesce(Sum("order__total_price"), ZERO, output_field=money),
        )
        .order_by("week")
    )
    return [
        {
            "week": _day(row["week"]),
            "cancels": row["cancels"],
            "refunded": row["refunded"],
            "store_credit": row["store_credit"],
            "kept": row["kept"],
            "order_value": row["order_value"],
        }
        for row in rows
    ]


# -- the CSV behind the page ---------------------------------------------------------------------------

CSV_COLUMNS = [
    "request",
    "created_at",
    "kind",
    "state",
    "reason_code",
    "reason_text",
    "order",
    "order_processed_at",
    "minutes_to_request",
    "order_total",
    "currency",
    "order_refunded",
    "order_cancelled_at",
    "refund",
    "refund_amount",
    "shopper_email",
    "decided_at",
    "completed_at",
    "failure_code",
]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell: ISO times, and text that a spreadsheet would run as a formula made inert."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)


class CsvEcho:
    """A file for `csv.writer` that hands each line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def requests_csv_lines(span: DateRange) -> Iterator[str]:
    """The requests made in the range, as CSV lines (header first), streamed in batches."""
    writer = csv.writer(CsvEcho())
    yield writer.writerow(CSV_COLUMNS)
    rows = requests_in(span).select_related("order").order_by("created_at", "pk").iterator(chunk_size=2000)
    for request in rows:
        order = request.order
        minutes = int((request.created_at - order.processed_at).total_seconds() // 60)
        yield writer.writerow(
            [
                csv_cell(value)
                for value in (
                    request.pk,
                    request.created_at,
                    request.kind,
                    request.state,
                    request.reason_code,
                    request.reason_text,
                    order.name,
                    order.processed_at,
                    minutes,
                    order.total_price,
                    order.currency,
                    order.total_refunded,
                    order.cancelled_at,
                    request.refund,
                    request.refund_amount,
                    request.shopper_email,
                    request.decided_at,
                    request.completed_at,
                    request.failure_code,
                )
            ]
        )
