"""Admin for the request domain: the policy with its reasons, and requests with their audit trail.

Decisions go through the services (`request_approve`, `request_retry`), so no screen can bypass a check.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from cancellations.errors import RequestNotAllowed
from cancellations.models import CancelReason, Policy, Request, RequestEvent
from cancellations.services import request_approve, request_retry


class CancelReasonInline(admin.TabularInline):
    model = CancelReason
    extra = 0
    fields = ["position", "code", "label_en", "label_ko", "requires_text", "active"]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    inlines = [CancelReasonInline]
    list_display = ["shop", "cancel_window_minutes", "address_window_minutes", "auto_approve_cancels"]


@admin.register(CancelReason)
class CancelReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label_en", "label_ko", "policy", "position", "active", "requires_text"]
    list_filter = ["active", "policy"]


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor_label", "from_state", "to_state", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "state", "order", "shopper_email", "reason_code", "created_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["order"]
    search_fields = ["order__name", "shopper_email"]
    inlines = [RequestEventInline]
    actions = ["approve", "retry"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Approve with the policy's defaults"))
    def approve(self, request, queryset) -> None:
        self._each(request, queryset, lambda r: request_approve(request=r, moderator=request.user))

    @admin.action(description=_("Retry the failed push"))
    def retry(self, request, queryset) -> None:
        self._each(request, queryset, lambda r: request_retry(request=r, moderator=request.user))

    def _each(self, request, queryset, act) -> None:
        for item in queryset:
            try:
                act(item)
            except RequestNotAllowed as exc:
                self.message_user(request, f"#{item.pk}: {exc}", messages.WARNING)
