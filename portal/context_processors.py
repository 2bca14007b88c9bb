"""What every page's layout needs: the store this portal is for (name, logo, colour)."""

from __future__ import annotations

from django.http import HttpRequest


def portal_shop(request: HttpRequest) -> dict:
    # Lazy: a page that never shows the store (an error page, say) costs no query.
    return {"portal_shop": getattr(request, "shop", None)}
