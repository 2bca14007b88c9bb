from __future__ import annotations

from django.urls import path

from shopify_sync.install_views import install, install_callback
from shopify_sync.webhooks.views import shopify_webhook

app_name = "shopify_sync"

urlpatterns = [
    path("webhooks/", shopify_webhook, name="webhooks"),
    path("install", install, name="install"),
    path("install/callback", install_callback, name="install_callback"),
]
