"""The merchant console: the moderation queue, decisions (single and bulk), the request page with its
audit trail, and the insights page. The policy and its reasons are `admin_policy`'s.

Every decision goes through a service (`request_approve`, `request_reject`, `request_retry`), so the
console cannot bypass a check. Deciding needs the `moderate_request` permission (the "Moderators"
group); without it every moderation action and page answers 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cancellations import (
    admin_holds,  # noqa: F401  (registers the fulfilment holds page)
    admin_policy,  # noqa: F401  (registers the policy and reason pages)
    admin_views,
    admin_withdrawals,  # noqa: F401  (registers the EU withdrawals record)
)
from cancellations.admin_display import (
    addresses_side_by_side,
    duration_short,
    item_edit_side_by_side,
    money,
    order_link,
    state_badge,
    window_left,
)
from cancellations.models import Policy, Request
from cancellations.moderation import QUEUE_ORDERING, moderation_queue, reason_choices
from cancellations.selectors import request_events, request_plan_rows
from shopify_sync.selectors import scoped_to_staff

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, StrPromise

MODERATE = "cancellations.moderate_request"
VIEW_INSIGHTS = "cancellations.view_insights"
KIND_SHORT: dict[str, StrPromise] = {
    Request.Kind.CANCEL: _("Cancel"),
    Request.Kind.ADDRESS_CHANGE: _("Address"),
    Request.Kind.ITEM_EDIT: _("Items"),
}
MODERATION_ACTIONS = frozenset({"approve_selected", "reject_selected", "retry_selected"})


# -- the moderation queue ------------------------------------------------------------------------------


def _titled(base: type[admin.FieldListFilter], title: StrOrPromise) -> type[admin.FieldListFilter]:
    """A field filter with a translated title (the model's fields carry no verbose names). Made with
    `type()`: mypy cannot check a class statement whose base is a variable."""

    def __init__(self: admin.FieldListFilter, *args: Any, **kwargs: Any) -> None:
        base.__init__(self, *args, **kwargs)
        self.title = title

    return type("Titled", (base,), {"__init__": __init__})


class ReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        korean = (get_language() or "").startswith("ko")
        return [
            (code, (label_ko if korean and label_ko else label_en))
            for code, label_en, label_ko in reason_choices()
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(reason_code=self.value())
        return queryset


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "state_display",
        "kind_short",
        "order_display",
        "shopper_display",
        "reason_display",
        "age",
        "time_left",
    ]
    list_display_links = ["number"]
    list_filter = [
        ("state", _titled(admin.ChoicesFieldListFilter, _("state"))),
        ("kind", _titled(admin.ChoicesFieldListFilter, _("kind"))),
        ReasonFilter,
        ("created_at", _titled(admin.DateFieldListFilter, _("date asked"))),
        ("failure_code", _titled(admin.ChoicesFieldListFilter, _("why the push failed"))),
        "is_withdrawal",
    ]
    search_fields = ["order__name", "shopper_email", "order__email"]
    search_help_text = _("Order name (e.g. #1001) or the shopper's e-mail address.")
    list_per_page = 50
    show_full_result_count = False
    actions = ["approve_selected", "reject_selected", "retry_selected"]
    change_list_template = "admin/cancellations/request/change_list.html"
    change_form_template = "admin/cancellations/request/change_form.html"
    fieldsets = [
        (
            _("Request"),
            {
                "fields": [
                    "state_display",
                    "kind",
                    "order_display",
                    "shopper_display",
                    "language",
                    "reason_display",
                    "created_at",
                    "time_left",
                ]
            },
        ),
        (_("The order as it is"), {"fields": ["order_summary", "order_items"]}),
        (_("Shipping address"), {"fields": ["addresses"]}),
        (_("Item changes"), {"fields": ["item_changes"]}),
        (_("Items to return"), {"fields": ["return_items"]}),
        (
            _("Decision"),
            {
                "fields": [
                    "refund",
                    "refund_amount",
                    "restock",
                    "notify_customer",
                    "decision_message",
                    "decided_by",
                    "decided_at",
                ]
            },
        ),
        (
            _("Shopify"),
            {
                "fields": [
                    "failure_code",
                    "last_error",
                    "attempts",
                    "transient_errors",
                    "completed_at",
                ]
            },
        ),
        (_("Audit trail"), {"fields": ["audit_trail"]}),
    ]
    # A request is changed only through the services: every field on its page is read-only.
    readonly_fields = flatten_fieldsets(fieldsets)

    class Media:
        css = {"all": ["cancellations/admin.css"]}

    # -- permissions: nothing is edited by hand; decisions are moderation -----------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj=None):
        left_out = set()
        # A request waiting for a decision has no decision and no push yet: show what there is.
        if obj is not None and obj.state == Request.State.SUBMITTED:
            left_out |= {_("Decision"), _("Shopify")}
        # Each kind shows what it changes: the address, the items before and after, or the items to return.
        if obj is not None:
            shown = {
                Request.Kind.ITEM_EDIT: _("Item changes"),
                Request.Kind.RETURN: _("Items to return"),
            }.get(obj.kind, _("Shipping address"))
            left_out |= {_("Shipping address"), _("Item changes"), _("Items to return")} - {shown}
        return [fieldset for fieldset in self.fieldsets if fieldset[0] not in left_out]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MODERATE)

    def has_insights_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(VIEW_INSIGHTS)

    def moderate_or_403(self, request: HttpRequest) -> None:
        if not self.has_moderate_permission(request):
            raise PermissionDenied

    # -- the queue -------------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest):
        return scoped_to_staff(moderation_queue(), request.user, "order__shop")

    def get_ordering(self, request: HttpRequest):
        # Waiting first, oldest first (annotations of `moderation_queue`, so not in `ordering`).
        return QUEUE_ORDERING

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # Admin hides actions a user may not run and answers a forged one with "no action selected";
        # a moderation action without the permission is a 403, loudly.
        if request.method == "POST" and request.POST.get("action") in MODERATION_ACTIONS:
            self.moderate_or_403(request)
        extra_context = {
            **(extra_context or {}),
            "can_see_insights": self.has_insights_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_moderate": self.has_moderate_permission(request),
            # The plan: the Shopify calls of the request, in order (the page's table under "Shopify").
            "plan": request_plan_rows(object_id),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("request"), ordering="pk")
    def number(self, obj: Request) -> str:
        return f"#{obj.pk}"

    @admin.display(description=_("state"), ordering="state")
    def state_display(self, obj: Request):
        return state_badge(obj.state)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_short(self, obj: Request) -> StrOrPromise:
        return KIND_SHORT.get(obj.kind, obj.kind)

    @admin.display(description=_("order"), ordering="order__name")
    def order_display(self, obj: Request):
        return order_link(obj.order)

    @admin.display(description=_("shopper"), ordering="shopper_email")
    def shopper_display(self, obj: Request) -> str:
        return obj.shopper_email or obj.order.email or "—"

    @admin.display(description=_("reason"), ordering="reason_code")
    def reason_display(self, obj: Request):
        korean = (get_language() or "").startswith("ko")
        label_en = getattr(obj, "reason_label_en", None)
        label_ko = getattr(obj, "reason_label_ko", None)
        label = (label_ko if korean and label_ko else label_en) or obj.reason_code or "—"
        if not obj.reason_text:
            return label
        return format_html('{}<br><span class="rq-quote">“{}”</span>', label, obj.reason_text)

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj: Request) -> str:
        return duration_short(timezone.now() - obj.created_at)

    @admin.display(description=_("window left"))
    def time_left(self, obj: Request):
        try:
            policy = obj.order.shop.cancellation_policy
        except Policy.DoesNotExist:
            return window_left(None, timezone.now())
        if obj.state not in (Request.State.SUBMITTED, Request.State.FAILED):
            return window_left(None, timezone.now())
        return window_left(policy.deadline_for(obj.order, obj.kind), timezone.now())

    # -- the request page ------------------------------------------------------------------------------

    @admin.display(description=_("totals"))
    def order_summary(self, obj: Request):
        order = obj.order
        rows = [
            (_("Placed"), order.processed_at.strftime("%Y-%m-%d %H:%M %Z")),
            (_("Total"), money(order.total_price_presentment, order.presentment_currency)),
            (_("Total (shop currency)"), money(order.total_price, order.currency)),
            (_("Refunded"), money(order.total_refunded, order.currency)),
            (_("Payment"), order.get_financial_status_display() or "—"),
            (_("Fulfilment"), order.get_fulfillment_status_display() or "—"),
            (
                _("Cancelled in Shopify"),
                order.cancelled_at.strftime("%Y-%m-%d %H:%M") if order.cancelled_at else "—",
            ),
        ]
        return format_html(
            '<table class="rq-kv">{}</table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("items"))
    def order_items(self, obj: Request):
        items = obj.order.line_items.order_by("position", "pk")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class='rq-num'>{}</td><td class='rq-num'>{}</td>"
            "<td class='rq-num'>{}</td></tr>",
            (
                (
                    item.title,
                    item.variant_title,
                    item.sku,
                    item.current_quantity,
                    item.unfulfilled_quantity,
                    money(item.unit_price_presentment, item.presentment_currency),
                )
                for item in items
            ),
        )
        return format_html(
            '<table class="rq-items"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("Item"),
            _("Variant"),
            _("SKU"),
            _("Quantity"),
            _("Not shipped"),
            _("Unit price"),
            rows,
        )

    @admin.display(description=_("shipped items the shopper sends back"))
    def return_items(self, obj: Request):
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {} &#215; {}</li>",
                (
                    (
                        line["title"],
                        f"({line['variant_title']})" if line.get("variant_title") else "",
                        line["quantity"],
                    )
                    for line in obj.return_lines or ()
                ),
            ),
        )

    @admin.display(description=_("before and after"))
    def item_changes(self, obj: Request):
        return item_edit_side_by_side(obj.edit_preview)

    @admin.display(description=_("old and new"))
    def addresses(self, obj: Request):
        if obj.kind != Request.Kind.ADDRESS_CHANGE:
            return addresses_side_by_side(obj.order.shipping_address, None)
        return addresses_side_by_side(obj.previous_address, obj.requested_address)

    @admin.display(description=_("events"))
    def audit_trail(self, obj: Request):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            (
                (
                    event.at.strftime("%Y-%m-%d %H:%M:%S"),
                    event.actor_label,
                    event.from_state or "∅",
                    event.to_state,
                    ", ".join(f"{key}={value}" for key, value in sorted(event.detail.items())),
                )
                for event in request_events(obj)
            ),
        )
        return format_html(
            '<table class="rq-audit"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            _("When"),
            _("Who"),
            _("From"),
            _("To"),
            _("Detail"),
            rows,
        )

    # -- actions: the bulk forms of the moderation pages -----------------------------------------------

    @admin.action(description=_("Approve selected requests…"), permissions=["moderate"])
    def approve_selected(self, request: HttpRequest, queryset):
        return admin_views.approve(self, request, ids=queryset.values_list("pk", flat=True))

    @admin.action(description=_("Reject selected requests…"), permissions=["moderate"])
    def reject_selected(self, request: HttpRequest, queryset):
        return admin_views.reject(self, request, ids=queryset.values_list("pk", flat=True))

    @admin.action(description=_("Retry selected failed pushes"), permissions=["moderate"])
    def retry_selected(self, request: HttpRequest, queryset):
        return admin_views.retry(self, request, ids=queryset.values_list("pk", flat=True))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("approve/", wrap(self.approve_view), name="cancellations_request_approve"),
            path("reject/", wrap(self.reject_view), name="cancellations_request_reject"),
            path("retry/", wrap(self.retry_view), name="cancellations_request_retry"),
            path("insights/", wrap(self.insights_view), name="cancellations_insights"),
            path("insights/requests.csv", wrap(self.insights_csv_view), name="cancellations_insights_csv"),
            *super().get_urls(),
        ]

    def approve_view(self, request: HttpRequest) -> HttpResponse:
        return admin_views.approve(self, request)

    def reject_view(self, request: HttpRequest) -> HttpResponse:
        return admin_views.reject(self, request)

    def retry_view(self, request: HttpRequest) -> HttpResponse:
        return admin_views.retry(self, request)

    def insights_view(self, request: HttpRequest) -> HttpResponse:
        return admin_views.insights(self, request)

    def insights_csv_view(self, request: HttpRequest) -> StreamingHttpResponse:
        return admin_views.insights_csv(self, request)
