"""Who is asking: a signed-in shopper (allauth), or a guest whose session holds an `OrderPass` for one
order (from the lookup code or a signed link). Views pass the answer as `shopper=` to the services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cancellations.selectors import OrderPass
from portal.client_ip import client_ip

GUEST_PASS = "portal_order_pass"  # noqa: S105 (a session key, not a secret)


def guest_pass(request: HttpRequest) -> OrderPass | None:
    """The session's pass for the shop of this request, if any."""
    stored = request.session.get(GUEST_PASS)
    if not isinstance(stored, dict) or stored.get("shop") != request.shop.pk:  # type: ignore[attr-defined]
        return None
    try:
        return OrderPass(order_id=int(stored["order"]), email=str(stored["email"]))
    except (KeyError, TypeError, ValueError):
        return None


def guest_pass_grant(request: HttpRequest, order_pass: OrderPass) -> None:
    """Open one order for this browser. A new session key, so a key planted before cannot ride along."""
    request.session.cycle_key()
    request.session[GUEST_PASS] = {
        "shop": request.shop.pk,  # type: ignore[attr-defined]
        "order": order_pass.order_id,
        "email": order_pass.email,
    }


def shoppers_of(request: HttpRequest) -> list:
    """Who may be asking, in the order ownership is tried: the signed-in user, then the guest pass."""
    found: list = []
    if request.user.is_authenticated:
        found.append(request.user)
    order_pass = guest_pass(request)
    if order_pass is not None:
        found.append(order_pass)
    return found


def order_owner(request: HttpRequest) -> Any:
    """Who owns the order of an `order_view` page: the user or the guest pass it was found through."""
    return request.shopper  # type: ignore[attr-defined]


def shopper_rate_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit key: the user, else the guest's order, else the client."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    order_pass = guest_pass(request)
    if order_pass is not None:
        return f"order:{order_pass.order_id}"
    return f"ip:{client_ip(request)}"
