"""Installing the app on a shop (the authorization code grant), for a deployment serving several stores.

`/shopify/install?shop=x.myshopify.com` sends the merchant to the shop's authorize page with the scopes
the portal needs and a one-time `state` kept in the session; Shopify brings them back to
`/shopify/install/callback` with a one-time `code`. The callback checks, in this order, the `hmac` (signed
with the app's client secret), the `shop` name, the `state` (this session's, for this shop, once) and the
`timestamp` (a day at most), then exchanges the code for an offline token and stores it encrypted.
Anything else gets a 4xx page saying what was wrong, and nothing is stored.
"""

from __future__ import annotations

import logging
import secrets
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shopify_sync import oauth
from shopify_sync.errors import ShopifyAuthError, ShopifyShopUnavailable, ShopifyTransientError
from shopify_sync.scopes import REQUIRED_SCOPES, missing_scopes
from shopify_sync.services.shops import shop_connect_installed
from shopify_sync.tasks import shop_connected_enqueue
from shopify_sync.tokens import api_base_url_for_domain

logger = logging.getLogger(__name__)

SESSION_KEY = "shopify_install"
MAX_AGE_SECONDS = 24 * 60 * 60


def _page(request: HttpRequest, status: int, title: str, message: str, **context) -> HttpResponse:
    context.update(title=title, message=message)
    return render(request, "shopify_sync/install_result.html", context, status=status)


def _refused(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return _page(request, status, _("The app was not installed"), message)


def _callback_url(request: HttpRequest) -> str:
    path = reverse("shopify_sync:install_callback")
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


@never_cache
@require_GET
def install(request: HttpRequest) -> HttpResponse:
    if not (settings.SHOPIFY_CLIENT_ID and settings.SHOPIFY_CLIENT_SECRET):
        return _refused(request, _("This portal has no Shopify app configured (SHOPIFY_CLIENT_ID)."), 404)
    shop = oauth.valid_shop_domain(request.GET.get("shop"))
    if shop is None:
        return _refused(request, _("Give the shop's address as your-store.myshopify.com."))
    state = secrets.token_urlsafe(24)
    request.session[SESSION_KEY] = {"state": state, "shop": shop}
    return HttpResponseRedirect(
        oauth.authorize_url(
            base_url=api_base_url_for_domain(shop),
            client_id=settings.SHOPIFY_CLIENT_ID,
            scopes=REQUIRED_SCOPES,
            redirect_uri=_callback_url(request),
            state=state,
        )
    )


@never_cache
@require_GET
def install_callback(request: HttpRequest) -> HttpResponse:
    params = request.GET.dict()
    if not settings.SHOPIFY_CLIENT_SECRET or not oauth.query_signature_is_valid(
        params, settings.SHOPIFY_CLIENT_SECRET
    ):
        logger.warning(
            "install callback with a missing or wrong hmac from %s", request.META.get("REMOTE_ADDR")
        )
        return _refused(request, _("Shopify's signature on this address is missing or wrong."))
    shop = oauth.valid_shop_domain(params.get("shop"))
    if shop is None:
        return _refused(request, _("The shop named in this address is not a myshopify.com shop."))
    started = request.session.pop(SESSION_KEY, None) or {}
    if (
        not secrets.compare_digest(str(started.get("state", "")), params.get("state", ""))
        or started.get("shop") != shop
        or not params.get("state")
    ):
        return _refused(
            request, _("This install was not started here, or was finished already. Start again.")
        )
    try:
        age = time.time() - int(params.get("timestamp", ""))
    except ValueError:
        age = MAX_AGE_SECONDS + 1
    if age > MAX_AGE_SECONDS:
        return _refused(request, _("This install link is too old. Start again."))
    try:
        granted = oauth.authorization_code_token(
            base_url=api_base_url_for_domain(shop),
            client_id=settings.SHOPIFY_CLIENT_ID,
            client_secret=settings.SHOPIFY_CLIENT_SECRET,
            code=params.get("code", ""),
        )
    except (ShopifyAuthError, ShopifyShopUnavailable) as exc:
        return _refused(request, _("Shopify refused the install: %(reason)s") % {"reason": exc})
    except ShopifyTransientError:
        return _refused(request, _("Shopify could not be reached. Start again in a moment."), 503)
    connected = shop_connect_installed(domain=shop, granted=granted)
    shop_connected_enqueue(connected.pk)
    return _page(
        request,
        200,
        _("The app is installed"),
        _("The portal is connected to %(shop)s; its orders are being imported.") % {"shop": shop},
        shop=connected,
        missing_scopes=missing_scopes(granted.scopes),
    )
