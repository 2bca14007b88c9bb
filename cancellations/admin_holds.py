"""The console's list of fulfilment holds the portal placed (`services.holds`), with "release now" for a
merchant who wants an order shipped before its window ends, and each fulfilment order's state as the mirror
last saw it (why a hold failed: in progress, say). Registered by `cancellations.admin`."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cancellations.admin_display import order_link
from cancellations.models import FulfilmentHold
from cancellations.queue import enqueue_hold_release
from shopify_sync.admin import ReadOnlyAdmin
from shopify_sync.models import FulfillmentOrder

MODERATE = "cancellations.moderate_request"


@admin.register(FulfilmentHold)
class FulfilmentHoldAdmin(ReadOnlyAdmin):
    shop_path = "order__shop"
    list_display = [
        "order_display",
        "state",
        "fulfillment_order_status",
        "held_until",
        "placed_at",
        "released_at",
        "released_because",
        "error",
    ]
    list_filter = ["state"]
    list_select_related = ["order", "order__shop"]
    search_fields = ["order__name"]
    actions = ["release_selected"]
    readonly_fields = (
        "order_display",
        "fulfillment_order_gid",
        "fulfillment_order_status",
        "hold_gid",
        "handle",
        "state",
        "held_until",
        "placed_at",
        "released_at",
        "released_because",
        "error",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[FulfilmentHold]:
        mirrored = FulfillmentOrder.objects.filter(
            shop=OuterRef("order__shop"), shopify_gid=OuterRef("fulfillment_order_gid")
        )
        return super().get_queryset(request).annotate(mirrored_status=Subquery(mirrored.values("status")[:1]))

    @admin.display(description=_("order"), ordering="order__name")
    def order_display(self, obj: FulfilmentHold):
        return order_link(obj.order)

    @admin.display(description=_("fulfilment order now"), ordering="mirrored_status")
    def fulfillment_order_status(self, obj: FulfilmentHold) -> str:
        status = getattr(obj, "mirrored_status", None)
        return str(FulfillmentOrder.Status(status).label) if status else "—"

    @admin.action(description=_("Release the selected holds now"))
    def release_selected(self, request: HttpRequest, queryset: QuerySet[FulfilmentHold]) -> None:
        if not request.user.has_perm(MODERATE):
            raise PermissionDenied
        orders = set(queryset.filter(state=FulfilmentHold.State.HELD).values_list("order_id", flat=True))
        who = getattr(request.user, "get_username", lambda: "a merchant")()
        for order_id in orders:
            enqueue_hold_release(order_id, f"released by {who}")
        messages.success(
            request,
            ngettext(
                "The hold on %(count)d order is being released.",
                "The holds on %(count)d orders are being released.",
                len(orders),
            )
            % {"count": len(orders)},
        )
