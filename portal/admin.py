"""The console's page for signed order links: the store's keys and the Liquid to paste into Shopify."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from cancellations.notifications import portal_url
from portal.models import OrderLinkKey
from portal.order_access import link_key_create, link_key_secret, link_keys_retire, liquid_snippets
from shopify_sync.admin import ShopScopedAdmin
from shopify_sync.models import Shop
from shopify_sync.selectors import scoped_to_staff


@admin.register(OrderLinkKey)
class OrderLinkKeyAdmin(ShopScopedAdmin):
    """Add a key to start (or rotate: the old one keeps working until retired); the page of a live key
    shows the snippets filled in with its secret, for the store's staff to paste into Shopify."""

    list_display = ["shop", "created_at", "retired_at"]
    list_filter = ["shop"]
    fields = ["shop", "created_at", "retired_at", "snippets"]
    actions = ["retire_others"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["shop", "created_at", "retired_at", "snippets"] if obj else ["snippets"]

    def get_fields(self, request: HttpRequest, obj=None) -> Any:
        return self.fields if obj else ["shop", "snippets"]  # adding: only the store to choose

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "shop":
            kwargs["queryset"] = scoped_to_staff(Shop.objects.all(), request.user, "pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: OrderLinkKey, form, change: bool) -> None:
        if change:
            return  # nothing on a key is edited; retiring is an action
        created = link_key_create(shop=obj.shop)
        obj.pk, obj.secret_encrypted, obj.created_at = (
            created.pk,
            created.secret_encrypted,
            created.created_at,
        )

    @admin.display(description=_("What to paste into Shopify"))
    def snippets(self, obj: OrderLinkKey) -> SafeString | str:
        if obj.pk is None:
            return str(_("Save to create the key; its snippets show here."))
        if obj.retired_at is not None:
            return str(_("This key is retired: links signed with it are refused."))
        snippets = liquid_snippets(secret=link_key_secret(obj), portal_url=portal_url(obj.shop))
        return render_to_string("admin/portal/link_snippets.html", {"snippets": snippets})

    @admin.action(description=_("Keep only this key (retire the store's other keys)"))
    def retire_others(self, request: HttpRequest, queryset: QuerySet[OrderLinkKey]) -> None:
        for key in queryset.filter(retired_at__isnull=True):
            retired = link_keys_retire(shop=key.shop, keep=key)
            messages.success(
                request,
                _("%(count)d older key(s) of %(shop)s retired.") % {"count": retired, "shop": key.shop},
            )
