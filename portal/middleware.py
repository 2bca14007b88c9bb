from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

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
