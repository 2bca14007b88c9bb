"""The console's record of EU withdrawals: each statement as received, when, the acknowledgement, and the
request it became; "export as CSV" for the merchant's records. Registered by `cancellations.admin`."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.admin_display import order_link
from cancellations.insights import CsvEcho, csv_cell
from cancellations.models import Withdrawal
from shopify_sync.admin import ReadOnlyAdmin

CSV_COLUMNS = [
    "withdrawal_id",
    "received_at",
    "order",
    "name",
    "email",
    "language",
    "via",
    "acknowledged_at",
    "request_id",
    "request_kind",
    "request_state",
    "statement",
]


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    shop_path = "order__shop"
    list_display = ["received_at", "order_display", "name", "email", "request_display", "acknowledged_at"]
    list_select_related = ["order", "order__shop", "request"]
    search_fields = ["order__name", "email", "name"]
    date_hierarchy = "received_at"
    actions = ["export_csv"]
    fields = readonly_fields = (
        "order_display",
        "received_at",
        "name",
        "email",
        "language",
        "via",
        "statement",
        "acknowledged_at",
        "request_display",
    )

    @admin.display(description=_("order"), ordering="order__name")
    def order_display(self, obj: Withdrawal):
        return order_link(obj.order)

    @admin.display(description=_("request"))
    def request_display(self, obj: Withdrawal) -> str:
        request = obj.request
        return f"#{request.pk} · {request.get_kind_display()} · {request.get_state_display()}"

    @admin.action(description=_("Export the selected withdrawals as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> StreamingHttpResponse:
        writer = csv.writer(CsvEcho())

        def lines():
            yield writer.writerow(CSV_COLUMNS)
            for w in queryset.select_related("order", "request").order_by("received_at", "pk"):
                yield writer.writerow(
                    [
                        csv_cell(value)
                        for value in (
                            w.pk,
                            w.received_at,
                            w.order.name,
                            w.name,
                            w.email,
                            w.language,
                            w.via,
                            w.acknowledged_at,
                            w.request_id,
                            w.request.kind,
                            w.request.state,
                            w.statement,
                        )
                    ]
                )

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="withdrawals-{stamp}.csv"'
        return response
