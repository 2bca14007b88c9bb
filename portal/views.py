from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language
from django_ratelimit.core import is_ratelimited

from cancellations.errors import RequestNotAllowed
from cancellations.models import Request
from cancellations.policy import address_verdict
from cancellations.selectors import active_reasons, orders_for_shopper
from cancellations.services.item_edits import order_exclusions
from cancellations.services.requests import ADDRESS_UNCHANGED, request_submit
from portal import formatting, health
from portal.cancel_offers import offer_step, offer_taken
from portal.forms import WRONG_ADDRESS_REASON, AddressForm, CancelForm, address_initial
from portal.middleware import current_shop
from portal.models import ShopperProfile
from portal.presenters import (
    PolicyCache,
    StatusLabels,
    address_comparison,
    order_card,
    refund_text,
    request_summary,
)
from portal.shoppers import order_owner, shopper_rate_key, shoppers_of
from shopify_sync.models import Order
from shopify_sync.types import MailingAddress

ORDERS_PER_PAGE = 10
READ_METHODS = ("GET", "HEAD")
FORM_METHODS = ("GET", "HEAD", "POST")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer; 503 naming what is down (for load balancers).

    `?deep=1` adds the Shopify connection checks of `shopify_check` (six calls to Shopify): for staff, or
    with `Authorization: Bearer <HEALTHZ_TOKEN>` (a monitor); anyone else gets 403."""
    deep = request.GET.get("deep") == "1"
    if deep and not health.deep_allowed(request):
        return JsonResponse({"error": "deep checks need a staff sign-in or the HEALTHZ_TOKEN"}, status=403)
    status: dict = {"database": health.database_status()}
    redis_status = health.redis_status()
    if redis_status is not None:
        status["redis"] = redis_status
    # With Redis down the broker is too: say so at once rather than wait out the broker client's retries.
    status["broker"] = health.broker_status() if redis_status in (None, "ok") else "down (redis)"
    healthy = all(value == "ok" for value in status.values())
    if deep:
        checks = health.shopify_checks()
        status["shopify"] = {check.name: {"status": check.status, "detail": check.detail} for check in checks}
        healthy = healthy and not any(check.failed for check in checks)
    return JsonResponse(status, status=200 if healthy else 503)


def _shopper_orders(request: HttpRequest, shopper) -> QuerySet[Order]:
    """Every order page reads through the one ownership selector, with what the cards need prefetched.

    The stored Shopify payload (kilobytes per order) is for the admin and the sync, never for a page."""
    return (
        orders_for_shopper(shopper, shop=current_shop(request))
        .defer("last_payload")
        .prefetch_related(
            "line_items",
            "fulfillment_orders",
            Prefetch("cancellation_requests", queryset=Request.objects.order_by("-created_at", "-pk")),
        )
    )


def _shopper_order(request: HttpRequest, legacy_id: int, *, allowed_methods: tuple[str, ...]) -> Order:
    """The shopper's order or a 404, whatever the method: another shopper's order does not exist here.
    The signed-in user's orders first, then the one a guest pass opens; `request.shopper` is whichever
    owns it, for the services.

    Ownership is checked before the method, so a stranger learns nothing from a 405 either.
    """
    for shopper in shoppers_of(request):
        order = _shopper_orders(request, shopper).filter(legacy_id=legacy_id).first()
        if order is not None:
            request.shopper = shopper  # type: ignore[attr-defined]
            break
    else:
        raise Http404("No such order.")
    if request.method not in allowed_methods:
        raise _MethodNotAllowed(allowed_methods)
    return order


class _MethodNotAllowed(Exception):
    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.allowed = allowed


def shopper_required(view):
    """A signed-in shopper or a guest with an order pass; anyone else goes to sign in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not shoppers_of(request):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def order_view(allowed_methods: tuple[str, ...]):
    """A shopper's (or guest's) own order only, never cached; a wrong method on it answers 405."""

    def decorate(view):
        @never_cache
        @shopper_required
        def wrapped(request: HttpRequest, legacy_id: int, **more) -> HttpResponse:
            try:
                order = _shopper_order(request, legacy_id, allowed_methods=allowed_methods)
            except _MethodNotAllowed as refused:
                return HttpResponseNotAllowed(refused.allowed)
            return view(request, order, **more)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


def rate_limited(request: HttpRequest) -> bool:
    """Every POST to a request endpoint counts, per shopper, in the shared cache."""
    return is_ratelimited(
        request,
        group="portal:order-requests",
        key=shopper_rate_key,
        rate=settings.PORTAL_REQUEST_RATE,
        method="POST",
        increment=True,
    )


def too_many(request: HttpRequest, order: Order) -> HttpResponse:
    return render(request, "portal/rate_limited.html", {"order": order}, status=429)


@dataclass(frozen=True)
class _OrderPage:
    """One page of the order list, the part of Django's `Page` the template uses, found without counting
    the shopper's orders: one row more than a page says whether an older page follows."""

    number: int
    object_list: list[Order]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


# Past this, `?page=` is a typo or a probe, not a shopper's orders (and the offset stays a small number).
LAST_PAGE_NUMBER = 100_000


def _page_number(value: str | None) -> int:
    """`?page=` as a page number: 1 for anything that is not one (as Django's `Paginator.get_page`)."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(number, LAST_PAGE_NUMBER) if number >= 1 else 1


@never_cache
@shopper_required
def order_list(request: HttpRequest) -> HttpResponse:
    """A signed-in shopper's orders; a guest's list holds the one order their pass opens.

    Paged without a COUNT (a second pass over the shopper's orders on every page): "Older orders" is
    offered when the page's query found one order more than it shows. A page past the last one goes back
    to the first."""
    if request.method not in READ_METHODS:
        return HttpResponseNotAllowed(READ_METHODS)
    shopper = shoppers_of(request)[0]
    number = _page_number(request.GET.get("page"))
    start = (number - 1) * ORDERS_PER_PAGE
    rows = list(_shopper_orders(request, shopper)[start : start + ORDERS_PER_PAGE + 1])
    if not rows and number > 1:
        return redirect("orders:list")
    page = _OrderPage(number, rows[:ORDERS_PER_PAGE], has_next=len(rows) > ORDERS_PER_PAGE)
    now = timezone.now()
    policies, labels = PolicyCache(), StatusLabels()
    cards = [order_card(order, policies=policies, now=now, labels=labels) for order in page.object_list]
    context = {"page": page, "cards": cards, "now": now, "countdown_texts": formatting.countdown_texts()}
    return render(request, "portal/order_list.html", context)


@order_view(READ_METHODS)
def order_detail(request: HttpRequest, order: Order) -> HttpResponse:
    now = timezone.now()
    card = order_card(order, policies=PolicyCache(), now=now)
    requests = Request.objects.filter(order=order).prefetch_related("events").order_by("-created_at", "-pk")
    return render(
        request,
        "portal/order_detail.html",
        {
            "card": card,
            "order": order,
            "line_items": order.line_items.all(),
            "requests": [request_summary(r) for r in requests],
            "now": now,
        },
    )


@order_view(FORM_METHODS)
def order_cancel(request: HttpRequest, order: Order) -> HttpResponse:
    if request.method == "POST" and rate_limited(request):
        return too_many(request, order)
    now = timezone.now()
    policies = PolicyCache()
    card = order_card(order, policies=policies, now=now)
    policy = policies(order.shop)
    context = {"card": card, "order": order, "now": now, "policy": policy, "refund_text": refund_text(policy)}
    if not card.cancel.allowed:
        return render(
            request, "portal/order_cancel.html", context, status=409 if request.method == "POST" else 200
        )
    if request.method == "POST" and "take" in request.POST:
        return offer_taken(request, order)
    form = CancelForm(request.POST or None, reasons=active_reasons(policy))
    if request.method == "POST" and form.is_valid():
        offer_page = offer_step(request, order=order, card=card, policy=policy, form=form, context=context)
        if offer_page is not None:
            return offer_page
        try:
            request_submit(
                order=order,
                shopper=order_owner(request),
                kind=Request.Kind.CANCEL,
                reason_code=form.cleaned_data["reason"],
                reason_text=form.cleaned_data["comment"].strip(),
                excluded_lines=order_exclusions(order=order, policy=policy),
                language=get_language(),
            )
        except RequestNotAllowed as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, _("We received your request to cancel order %(name)s.") % {"name": order.name}
            )
            return redirect("orders:detail", legacy_id=order.legacy_id)
    context.update(form=form, wrong_address_reason=WRONG_ADDRESS_REASON)
    return render(request, "portal/order_cancel.html", context, status=400 if form.errors else 200)


@order_view(FORM_METHODS)
def order_address(request: HttpRequest, order: Order) -> HttpResponse:
    """Two steps without JavaScript: the form, then old versus new; "confirm" submits the request."""
    if request.method == "POST" and rate_limited(request):
        return too_many(request, order)
    now = timezone.now()
    policies = PolicyCache()
    card = order_card(order, policies=policies, now=now)
    policy = policies(order.shop)
    context = {"card": card, "order": order, "now": now}
    if not card.address.allowed:
        return render(
            request, "portal/order_address.html", context, status=409 if request.method == "POST" else 200
        )
    current = MailingAddress.from_dict(order.shipping_address)
    current_country = current.country_code.upper()
    fixed_country = current_country if current_country and not policy.allow_country_change else None
    if request.method == "POST":
        form = AddressForm(request.POST, fixed_country=fixed_country)
    else:
        form = AddressForm(initial=address_initial(current), fixed_country=fixed_country)
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        new_address = form.address().with_spelling_of(current)
        verdict = address_verdict(policy=policy, order=order, address=new_address.as_dict())
        if not verdict.allowed:
            form.add_error(None, verdict.message)
        elif new_address.same_as(current):
            form.add_error(None, ADDRESS_UNCHANGED)  # `request_submit` refuses it too
        elif "confirm" not in request.POST:
            context.update(
                form=form, review=address_comparison(current, new_address), new_address=new_address
            )
            return render(request, "portal/order_address_review.html", context)
        else:
            try:
                request_submit(
                    order=order,
                    shopper=order_owner(request),
                    kind=Request.Kind.ADDRESS_CHANGE,
                    reason_code="",
                    address=new_address,
                    language=get_language(),
                )
            except RequestNotAllowed as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(
                    request,
                    _("We received your new shipping address for order %(name)s.") % {"name": order.name},
                )
                return redirect("orders:detail", legacy_id=order.legacy_id)
    context["form"] = form
    return render(request, "portal/order_address.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    from allauth.account.models import EmailAddress

    if request.method not in READ_METHODS:
        return HttpResponseNotAllowed(READ_METHODS)
    assert request.user.is_authenticated  # @login_required
    addresses = EmailAddress.objects.filter(user=request.user).order_by("-primary", "email")
    profile = ShopperProfile.objects.filter(user=request.user).first()
    return render(
        request,
        "portal/account.html",
        {
            "email_addresses": addresses,
            "profile": profile,
            "has_password": request.user.has_usable_password(),
        },
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's `set_language` (cookie, safe `next`), and the shopper's profile remembers the choice."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        ShopperProfile.objects.update_or_create(user=request.user, defaults={"language": language})
    return response
