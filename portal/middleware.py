from __future__ import annotations

import codecs
import contextlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation.trans_real import parse_accept_lang_header

from portal import formatting
from shopify_sync.models import Shop
from shopify_sync.selectors import shop_for_host
from shopify_sync.services.shops import shop_get_or_create_current

# Set on the request by the sign-in signal (portal.signals); the response then carries the cookie.
LANGUAGE_TO_REMEMBER = "_portal_language_to_remember"


class ShopperLanguageMiddleware:
    """After a sign-in, store the shopper's saved language in Django's language cookie.

    LocaleMiddleware reads that cookie (before the browser's Accept-Language) from the next request on,
    so a shopper who chose Korean once sees Korean on any device after signing in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        language = getattr(request, LANGUAGE_TO_REMEMBER, None)
        if language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


def current_shop(request: HttpRequest) -> Shop:
    """The shop of this request (set by CurrentShopMiddleware)."""
    return request.shop  # type: ignore[attr-defined]


def _request_shop(request: HttpRequest) -> Shop:
    return shop_for_host(request.get_host()) or shop_get_or_create_current()


class CurrentShopMiddleware:
    """`request.shop`: the store whose portal this host is (`Shop.portal_host`), else the configured store,
    looked up when first used. Every shopper page reads orders of this shop only.

    Also the shop's default language, for a shopper who chose none (no language cookie) and whose browser
    asks for no language the portal has. Runs after LocaleMiddleware, which has picked English then.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.shop = SimpleLazyObject(lambda: _request_shop(request))  # type: ignore[attr-defined]
        with self._shop_time_zone(request):
            language = self._shop_language(request)
            if not language:
                return self.get_response(request)
            request.LANGUAGE_CODE = language
            with translation.override(language):  # for this request only, as LocaleMiddleware's choice is
                return self.get_response(request)

    @staticmethod
    def _shop_time_zone(request: HttpRequest):
        """The console shows times in the store's time zone (the store its host serves), as the shopper
        pages do; other paths need no lookup (shopper pages format with the order's shop explicitly)."""
        if not request.path.startswith("/admin/"):
            return contextlib.nullcontext()
        zone = getattr(current_shop(request), "iana_timezone", "") or ""
        return timezone.override(formatting.shop_zone(zone)) if zone else contextlib.nullcontext()

    @staticmethod
    def _shop_language(request: HttpRequest) -> str:
        """The shop's default language when nothing else chose one. A request with no Accept-Language at
        all (a probe, a monitor) is not a browser and costs no lookup."""
        header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        if not header or settings.LANGUAGE_COOKIE_NAME in request.COOKIES or _names_a_language(header):
            return ""
        return current_shop(request).default_language


def _names_a_language(accept_language: str) -> bool:
    """Whether an Accept-Language header names a language the portal has."""
    codes = {code for code, _name in settings.LANGUAGES}
    return any(lang.split("-")[0].lower() in codes for lang, _q in parse_accept_lang_header(accept_language))


class BadInputMiddleware:
    """Input no view can use answers 400 here, before it reaches a form or a query: a body in a charset
    Python does not know (Django would raise LookupError while decoding it), and NUL characters in the
    query string (PostgreSQL refuses them in text, so an admin filter would raise DataError). Form fields
    refuse NUL themselves (Django's `ProhibitNullCharactersValidator`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        charset = request.content_params.get("charset") if request.content_params else None
        if charset:
            try:
                codecs.lookup(charset)
            except LookupError:
                return HttpResponseBadRequest("unknown charset")
        if "%00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest("NUL in the query string")
        return self.get_response(request)
