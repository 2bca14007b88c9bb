"""How a guest proves an order is theirs without an account: a one-time code e-mailed to the order's
address (the lookup page), or a link Shopify's own e-mails carry, signed by Shopify's Liquid with a secret
the store pasted there. Either way the result is an `OrderPass` for that one order."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cancellations.selectors import OrderPass
from portal.models import OrderAccessCode, OrderLinkKey
from shopify_sync.encryption import InvalidToken, decrypt, encrypt
from shopify_sync.models import Order, Shop

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)
CODE_TRIES = 5
CODE_DIGITS = 6
_TOKEN = re.compile(r"^(?P<order>[1-9][0-9]{0,18})-(?P<mac>[0-9a-f]{64})$")


def _normalised_email(email: str) -> str:
    return (email or "").strip().lower()


def order_for_lookup(*, shop: Shop, order_number: str, email: str) -> Order | None:
    """The shop's order with that number ("1001", "#1001" or its name as the store writes it) whose
    e-mail, or its customer's, is `email` (any case); None when they do not match."""
    number = (order_number or "").strip()
    email = _normalised_email(email)
    if not number or not email:
        return None
    names = {number, "#" + number.lstrip("#")}
    return (
        Order.objects.filter(shop=shop, deleted_at__isnull=True, name__in=names)
        .filter(Q(email=email) | Q(customer__email=email))
        .order_by("-processed_at")
        .first()
    )


def _code_hash(code_id: int, code: str) -> str:
    key = f"portal.order_access_code:{settings.SECRET_KEY}".encode()
    return hmac.new(key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def access_code_issue(*, order: Order, now: datetime | None = None) -> tuple[OrderAccessCode, str]:
    """A new code for `order`, to be e-mailed to its address. Only its keyed hash is stored."""
    now = now or timezone.now()
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    with transaction.atomic():
        row = OrderAccessCode.objects.create(
            order=order,
            email=order.email or (order.customer.email if order.customer else ""),
            code_hash="",
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        row.code_hash = _code_hash(row.pk, code)
        row.save(update_fields=["code_hash"])
    return row, code


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """The outcome of typing a code: a pass, or why not (`wrong`, `expired`, `too_many`)."""

    order_pass: OrderPass | None
    problem: str = ""
    tries_left: int = 0


def access_code_check(*, code_id: int | None, code: str, now: datetime | None = None) -> CodeCheck:
    """Check a typed code against the code row the session points at. Every try counts, right or wrong,
    before the comparison (under a row lock), so a burst of guesses cannot slip past the limit; a right
    code is spent. `code_id` None (the details did not match an order) answers like a wrong code."""
    now = now or timezone.now()
    code = re.sub(r"\s+", "", code or "")
    if code_id is None:
        return CodeCheck(None, "wrong", CODE_TRIES)
    with transaction.atomic():
        row = (
            OrderAccessCode.objects.select_for_update()
            .filter(pk=code_id, used_at__isnull=True)
            .select_related("order")
            .first()
        )
        if row is None or row.expires_at < now:
            return CodeCheck(None, "expired")
        if row.attempts >= CODE_TRIES:
            return CodeCheck(None, "too_many")
        OrderAccessCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        tries_left = CODE_TRIES - row.attempts - 1
        if not hmac.compare_digest(row.code_hash, _code_hash(row.pk, code)):
            return CodeCheck(None, "too_many" if tries_left <= 0 else "wrong", tries_left)
        OrderAccessCode.objects.filter(pk=row.pk).update(used_at=now)
    return CodeCheck(OrderPass(order_id=row.order_id, email=row.email))


def access_code_send(*, row: OrderAccessCode, code: str, language: str) -> None:
    """E-mail the code to the order's address, in the language the lookup page was read in."""
    order = row.order
    context = {
        "order": order,
        "code": code,
        "minutes": int(CODE_LIFETIME.total_seconds() // 60),
        "shop_name": order.shop.name or order.shop.domain,
    }
    with translation.override(language):
        subject = " ".join(render_to_string("emails/lookup/code_subject.txt", context).split())
        text = render_to_string("emails/lookup/code.txt", context)
        html = render_to_string("emails/lookup/code.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [row.email])
    message.attach_alternative(html, "text/html")
    message.send()


def access_codes_prune(*, now: datetime | None = None) -> int:
    """Codes a day past their expiry go (the beat); a recent one stays for the audit of brute force."""
    now = now or timezone.now()
    deleted, _ = OrderAccessCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return deleted


# Signed links ---------------------------------------------------------------------------------------


def link_message(order_legacy_id: int | str, email: str) -> str:
    """What Shopify's Liquid signs: `{{ id }}:{{ email | downcase }}` (see `liquid_snippets`)."""
    return f"{order_legacy_id}:{_normalised_email(email)}"


def link_token(*, secret: str, order_legacy_id: int, email: str) -> str:
    """The token Liquid's `hmac_sha256` filter makes (hex HMAC-SHA256 of the message, keyed by secret),
    after the order id: what `/o/<token>/` carries."""
    mac = hmac.new(secret.encode(), link_message(order_legacy_id, email).encode(), hashlib.sha256)
    return f"{order_legacy_id}-{mac.hexdigest()}"


def link_key_create(*, shop: Shop) -> OrderLinkKey:
    """A new live key for the store (the first one, or the next during a rotation)."""
    return OrderLinkKey.objects.create(shop=shop, secret_encrypted=encrypt(secrets.token_urlsafe(32)))


def link_key_secret(key: OrderLinkKey) -> str:
    return decrypt(key.secret_encrypted)


def link_keys_retire(*, shop: Shop, keep: OrderLinkKey, now: datetime | None = None) -> int:
    """End a rotation: every live key of the store but `keep` stops verifying."""
    return (
        OrderLinkKey.objects.filter(shop=shop, retired_at__isnull=True)
        .exclude(pk=keep.pk)
        .update(retired_at=now or timezone.now())
    )


def link_open(*, shop: Shop, token: str) -> OrderPass | None:
    """The pass a signed link grants: the token names one of the shop's orders and is that order's MAC
    under one of the shop's live keys, over the e-mail the order has now. None otherwise (a wrong key,
    another order, a changed e-mail, a retired key)."""
    match = _TOKEN.match(token or "")
    if match is None:
        return None
    order = (
        Order.objects.filter(shop=shop, legacy_id=int(match["order"]), deleted_at__isnull=True)
        .select_related("customer")
        .first()
    )
    if order is None:
        return None
    emails = {e for e in (order.email, order.customer.email if order.customer else "") if e}
    for key in OrderLinkKey.objects.filter(shop=shop, retired_at__isnull=True):
        try:
            secret = link_key_secret(key)
        except InvalidToken:
            logger.error("order link key %s: no configured encryption key opens it", key.pk)
            continue
        for email in emails:
            expected = link_token(secret=secret, order_legacy_id=order.legacy_id, email=email)
            if hmac.compare_digest(expected, token):
                return OrderPass(order_id=order.pk, email=_normalised_email(email))
    return None


def liquid_snippets(*, secret: str, portal_url: str) -> dict[str, str]:
    """What the store pastes into Shopify: the order confirmation (and other order) e-mails see the order's
    fields at the top level (`id`, `email`); the order status page sees them under `order`."""
    base = portal_url.rstrip("/")

    def snippet(prefix: str) -> str:
        return (
            f"{{% capture portal_message %}}{{{{ {prefix}id }}}}:{{{{ {prefix}email | downcase }}}}"
            "{% endcapture %}\n"
            f"<a href=\"{base}/o/{{{{ {prefix}id }}}}-{{{{ portal_message | hmac_sha256: '{secret}' }}}}/\">"
            "Change or cancel your order</a>"
        )

    return {"notification": snippet(""), "order_status": snippet("order.")}
