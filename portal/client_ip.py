"""The client's address behind `TRUSTED_PROXY_COUNT` reverse proxies, for rate limits (ours, through
django-ratelimit's `RATELIMIT_IP_META_KEY`; allauth's take the same count).

Each trusted proxy appends the address it received from to `X-Forwarded-For`, so the client is the entry
that many places from the right; anything left of it was written by the client and proves nothing. With no
proxy configured the header is ignored (a client could otherwise pick its own address)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 (a unix socket: no address)
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote  # not through all our proxies: the nearest address we know
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
