"""Shopify's webhook endpoint, answered before the browser middleware runs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from shopify_sync.webhooks.views import shopify_webhook


class ShopifyWebhookMiddleware:
    """Hands `POST /shopify/webhooks/` straight to its view, ahead of sessions, locale, CSRF, messages and
    authentication: none of them means anything to Shopify's servers, and together they cost about as
    much as storing the delivery does. Placed right after SecurityMiddleware (HTTPS redirect, headers).

    The URL stays in `shopify_sync.urls` (for `reverse` and for a stack without this middleware); the
    Host header is still checked against ALLOWED_HOSTS, as every other view does through CommonMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.path = reverse("shopify_sync:webhooks")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != self.path:
            return self.get_response(request)
        request.get_host()  # DisallowedHost (400) for a Host not in ALLOWED_HOSTS
        return shopify_webhook(request)
