from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from portal import lookup_views, views
from portal.staff_security import staff_login

# The merchant console is Django's admin, named for what it is.
admin.site.site_header = _("Order help: merchant console")
admin.site.site_title = _("Merchant console")
admin.site.index_title = _("Requests, policy and the order mirror")
admin.site.login = staff_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orders:list", permanent=False), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/profile/", views.account, name="account"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", views.language_set, name="set_language"),
    path("lookup/", lookup_views.lookup, name="lookup"),
    path("lookup/code/", lookup_views.lookup_code, name="lookup_code"),
    path("o/<str:token>/", lookup_views.signed_link, name="signed_link"),
    path("orders/", include("portal.order_urls")),
    path("shopify/", include("shopify_sync.urls")),
]
