"""Read-only admin of the mirror: rows come from Shopify, so nobody adds, changes or deletes them here."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from shopify_sync.models import (
    Customer,
    CustomerDataRequest,
    FulfillmentOrder,
    LineItem,
    Order,
    Shop,
    ShopAccess,
    WebhookDelivery,
)
from shopify_sync.selectors import scoped_to_staff, webhook_intake_backlog
from shopify_sync.services.webhooks import webhook_deliveries_reset_for_reprocessing
from shopify_sync.tasks import webhook_delivery_enqueue_on_commit
from shopify_sync.webhooks.topics import HANDLED_TOPICS


class ShopScopedAdmin(admin.ModelAdmin):
    """Staff listed on stores (`Shop.staff`) see those stores' rows only, in lists, pages and lookups."""

    shop_path = "shop"  # from the model to its Shop

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scoped_to_staff(super().get_queryset(request), request.user, self.shop_path)


class ReadOnlyAdmin(ShopScopedAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ShopAccessInline(admin.StackedInline):
    """How the portal signs in to the shop; the token itself is never shown (not even encrypted)."""

    model = ShopAccess
    can_delete = False
    fields = readonly_fields = ("grant", "expires_at", "scopes", "obtained_at", "renewals", "last_error")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Shop)
class ShopAdmin(ReadOnlyAdmin):
    shop_path = "pk"
    filter_horizontal = ["staff"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # a logo typed without a scheme
    inlines = [ShopAccessInline]
    list_display = [
        "domain",
        "name",
        "currency",
        "installed",
        "sync_cursor",
        "last_sync_finished_at",
        "has_sync_error",
        "last_full_import_at",
    ]
    fieldsets = [
        (None, {"fields": ["domain", "name", "currency", "iana_timezone", "api_version"]}),
        (
            _("Portal"),
            {
                "fields": ["portal_host", "logo_url", "brand_colour", "default_language"],
                "description": _("How shoppers reach this store's portal and what it looks like."),
            },
        ),
        (_("Staff"), {"fields": ["staff"]}),
        (
            _("Sync status"),
            {
                "fields": [
                    "sync_cursor",
                    "last_sync_started_at",
                    "last_sync_finished_at",
                    "last_sync_error",
                    "last_full_import_at",
                ]
            },
        ),
        (_("Installation"), {"fields": ["installed", "uninstalled_at", "created_at", "updated_at"]}),
    ]

    # Everything here comes from Shopify or the sync but the portal's own settings of the shop.
    editable_fields = ("portal_host", "logo_url", "brand_colour", "default_language")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("shopify_sync.change_shop")

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        readonly = [f.name for f in Shop._meta.fields if f.name not in self.editable_fields]
        # Who is limited to which store is the deployment owner's call, not a store's staff's.
        return readonly if request.user.is_superuser else [*readonly, "staff"]

    @admin.display(boolean=True, description=_("sync error"))
    def has_sync_error(self, shop: Shop) -> bool:
        return bool(shop.last_sync_error)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["email", "first_name", "last_name", "legacy_id", "shop"]
    list_select_related = ["shop"]
    search_fields = ["email", "first_name", "last_name", "=legacy_id"]


class LineItemInline(admin.TabularInline):
    model = LineItem
    extra = 0
    can_delete = False
    readonly_fields = (
        "position",
        "title",
        "variant_title",
        "sku",
        "quantity",
        "current_quantity",
        "unfulfilled_quantity",
        "requires_shipping",
        "gift_card",
        "unit_price",
        "currency",
        "unit_price_presentment",
        "presentment_currency",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class FulfillmentOrderInline(admin.TabularInline):
    """Where the order's fulfilment stands in Shopify: each fulfilment order's status, location and holds,
    as the last webhook or live read showed them (`source`, `source_updated_at`)."""

    model = FulfillmentOrder
    extra = 0
    can_delete = False
    readonly_fields = (
        "shopify_gid",
        "status",
        "request_status",
        "location",
        "hold_list",
        "source",
        "source_updated_at",
    )
    fields = readonly_fields

    @admin.display(description=_("location"))
    def location(self, fulfillment_order: FulfillmentOrder) -> str:
        # A move names the new location by id only, until the next live read brings its name.
        return fulfillment_order.location_name or fulfillment_order.location_gid or "—"

    @admin.display(description=_("holds"))
    def hold_list(self, fulfillment_order: FulfillmentOrder) -> str:
        return fulfillment_order.hold_summary or "—"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "email",
        "customer",
        "processed_at",
        "financial_status",
        "fulfillment_status",
        "is_cancelled",
        "archived",
        "total_price",
        "currency",
        "updated_at_shopify",
    ]
    list_select_related = ["customer"]
    list_filter = [
        "financial_status",
        "fulfillment_status",
        "closed",
        "risk_level",
        "cancelled_at",
        "deleted_at",
    ]
    search_fields = ["name", "email", "=legacy_id", "customer__email"]
    date_hierarchy = "processed_at"
    ordering = ["-processed_at"]
    inlines = [LineItemInline, FulfillmentOrderInline]

    @admin.display(description=_("archived"), boolean=True, ordering="closed")
    def archived(self, obj: Order) -> bool:
        """Shopify's "closed": archived (by Shopify after a cancel, or by the portal's `orderClose`)."""
        return obj.closed

    exclude = ["last_payload"]
    readonly_fields = ["pretty_last_payload"]

    @admin.display(boolean=True, description=_("cancelled"))
    def is_cancelled(self, order: Order) -> bool:
        return order.is_cancelled

    @admin.display(description=_("last payload"))
    def pretty_last_payload(self, order: Order) -> str:
        return json.dumps(order.last_payload, indent=2, ensure_ascii=False)


class DeliveryOutcomeFilter(admin.SimpleListFilter):
    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [
            ("processed", _("Processed")),
            ("unprocessed", _("Not processed yet")),
            ("error", _("Failed (error recorded)")),
            ("ignored", _("Ignored (topic not handled)")),
        ]

    def queryset(self, request, queryset: QuerySet[WebhookDelivery]):
        match self.value():
            case "processed":
                return queryset.filter(processed_at__isnull=False)
            case "unprocessed":
                return queryset.filter(processed_at__isnull=True)
            case "error":
                return queryset.filter(processed_at__isnull=True).exclude(error="")
            case "ignored":
                return queryset.exclude(topic__in=HANDLED_TOPICS)
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["webhook_id", "topic", "received_at", "processed_at", "attempts", "short_error"]
    list_filter = [DeliveryOutcomeFilter, "topic"]
    search_fields = ["=webhook_id", "=event_id", "topic"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    list_select_related = ["shop"]
    actions = ["process_again"]

    @admin.display(description=_("error"))
    def short_error(self, delivery: WebhookDelivery) -> str:
        return delivery.error[:80]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        waiting = webhook_intake_backlog()
        if waiting:  # a stalled drain (no worker running) shows here, not only in the logs
            message = ngettext(
                "%d order webhook is answered and waiting in the Redis intake buffer to be stored.",
                "%d order webhooks are answered and waiting in the Redis intake buffer to be stored.",
                waiting,
            )
            self.message_user(request, message % waiting, messages.INFO)
        return super().changelist_view(request, extra_context)

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        # The admin is read-only for everyone; re-running a delivery is for superusers and for staff
        # explicitly given the change permission on deliveries.
        return request.user.has_perm("shopify_sync.change_webhookdelivery")

    @admin.action(description=_("Process again"), permissions=["reprocess"])
    def process_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        with transaction.atomic():
            delivery_ids = webhook_deliveries_reset_for_reprocessing(
                delivery_ids=list(queryset.values_list("pk", flat=True))
            )
            for delivery_id in delivery_ids:
                webhook_delivery_enqueue_on_commit(delivery_id)
        self.message_user(
            request,
            ngettext("%d delivery queued.", "%d deliveries queued.", len(delivery_ids)) % len(delivery_ids),
            messages.SUCCESS,
        )


@admin.register(CustomerDataRequest)
class CustomerDataRequestAdmin(ReadOnlyAdmin):
    list_display = ["shopify_request_id", "email", "customer_legacy_id", "created_at", "emailed_at"]
    list_select_related = ["shop"]
    search_fields = ["email", "=customer_legacy_id"]
