"""Secrets never leave the process: the Shopify token, the webhook secret and Django's SECRET_KEY appear in
no rendered page (shopper, admin, 404, 500), no e-mail and no log line, even at DEBUG level for every
logger and when a Shopify call fails because the token is wrong."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import path, reverse

from cancellations.models import Request
from cancellations.notifications import request_event_notify
from cancellations.services.push import request_push
from cancellations.services.requests import request_submit
from portal.tests.conftest import SHOP_DOMAIN, make_order
from portal.urls import urlpatterns as portal_urlpatterns
from shopify_sync.connection import client_for
from shopify_sync.errors import ShopifyAuthError
from shopify_sync.tests.conftest import webhook_headers
from shopify_sync.tests.factories import rest_order

pytestmark = pytest.mark.django_db

# Built from pieces: DEBUG's technical 500 page quotes the source lines around a failing view, and a
# sentinel written out here would be found there.
MARK = "-".join(["SENT", "INEL", "7c1e"])
TOKEN = f"shpat_{MARK}_token_b7e1f0c9a2d"
API_SECRET = f"{MARK}_webhook_secret_a55e2"
SECRET_KEY = f"{MARK}_secret_key_" + "x" * 40
SENTINELS = (TOKEN, API_SECRET, SECRET_KEY, MARK)


def _boom(request):
    raise RuntimeError("something broke while rendering")


# This module is its own URLconf for the error-page test: the portal's URLs plus one view that fails.
urlpatterns = [*portal_urlpatterns, path("boom/", _boom)]


@pytest.fixture
def secrets(settings, devstore):
    settings.SHOPIFY_ACCESS_TOKEN = TOKEN
    settings.SHOPIFY_API_SECRET = [API_SECRET]
    settings.SECRET_KEY = SECRET_KEY
    settings.SHOPIFY_API_BASE_URL = devstore.base_url  # a real Shopify stand-in that refuses TOKEN
    settings.MERCHANT_NOTIFY_EMAILS = ["staff@store.example"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def everything_logged(caplog) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG, captured (caplog restores the levels afterwards)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


class Seen:
    """Everything a secret could leak into: page bodies and headers, e-mails, log records."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def page(self, where: str, response) -> None:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        headers = "\n".join(f"{k}: {v}" for k, v in response.items())
        cookies = response.cookies.output()
        self.texts.append((where, body.decode(errors="replace") + headers + cookies))

    def text(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def leaks(self) -> list[str]:
        return [
            f"{sentinel!r} in {where}"
            for where, text in self.texts
            for sentinel in SENTINELS
            if sentinel in text
        ]


def _emails_and_logs(seen: Seen, caplog) -> None:
    for message in mail.outbox:
        alternatives = message.alternatives if isinstance(message, EmailMultiAlternatives) else []
        parts = [str(message.subject), str(message.body), *(str(content) for content, _type in alternatives)]
        seen.text(f"e-mail {message.subject!r}", "\n".join(parts) + str(message.extra_headers))
    for record in caplog.records:
        seen.text(f"log {record.name}", record.getMessage() + repr(record.args) + str(record.exc_text or ""))
    seen.text("formatted log", caplog.text)


def test_no_secret_in_pages_emails_or_logs(secrets, everything_logged, shop, policy, shopper, devstore):
    seen = Seen()
    policy.auto_approve_cancels = False
    policy.save()
    staff = get_user_model().objects.create_superuser("owner", "owner@store.example", "a-long-password-17")

    # A shopper signs in by code, looks at their orders, asks to cancel one and to change another's address.
    anonymous = Client()
    seen.page("sign-in", anonymous.get(reverse("account_request_login_code")))
    seen.page(
        "code sent", anonymous.post(reverse("account_request_login_code"), {"email": "ada@example.com"})
    )
    order = make_order(shop, "ada@example.com")
    other = make_order(shop, "ada@example.com")
    client = Client()
    client.force_login(shopper)
    for where, url in {
        "list": reverse("orders:list"),
        "detail": reverse("orders:detail", args=[order.legacy_id]),
        "cancel": reverse("orders:cancel", args=[order.legacy_id]),
        "address": reverse("orders:address", args=[other.legacy_id]),
        "account": reverse("account"),
    }.items():
        seen.page(where, client.get(url))
    seen.page(
        "cancel posted",
        client.post(
            reverse("orders:cancel", args=[order.legacy_id]),
            {"reason": "changed_my_mind", "comment": "no longer needed", "confirm": "on"},
        ),
    )
    assert other.shipping_address is not None
    address_change = request_submit(
        order=other,
        shopper=shopper,
        kind=Request.Kind.ADDRESS_CHANGE,
        address={**other.shipping_address, "address1": "1 Teheran-ro"},
    )

    # The merchant approves; the push meets a Shopify that refuses the token.
    cancel = Request.objects.get(order=order)
    staff_client = Client()
    staff_client.force_login(staff)
    seen.page(
        "approve",
        staff_client.post(
            reverse("admin:cancellations_request_approve"),
            {"ids": f"{cancel.pk},{address_change.pk}", "confirm": "1", "refund": "full", "restock": "on"},
        ),
    )
    for request in (cancel, address_change):
        request_push(request_id=request.pk, client=client_for(max_attempts=1))
        request.refresh_from_db()
        assert request.state == Request.State.FAILED
        assert "access token" in request.last_error

    # The client on its own, and the sync command, with the wrong token.
    client_with_wrong_token = client_for(max_attempts=1)
    with pytest.raises(ShopifyAuthError) as refused:
        client_with_wrong_token.shop()
    seen.text("auth error", f"{refused.value!s} {refused.value!r} {client_with_wrong_token!r}")
    with pytest.raises(CommandError) as failed_sync:
        call_command("sync_orders")
    seen.text("sync_orders error", str(failed_sync.value))

    # Signed and forged webhooks: the secret is in use (the signed one is taken, the forged one refused).
    body = json.dumps(rest_order()).encode()
    for secret, status in ((API_SECRET, 200), ("not-the-secret", 401)):
        headers = webhook_headers(topic="orders/updated", body=body, secret=secret, shop_domain=SHOP_DOMAIN)
        response = anonymous.post(
            reverse("shopify_sync:webhooks"), data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == status
        seen.page(f"webhook answered {status}", response)

    # The merchant console, where the failures are shown.
    for where, url in {
        "admin index": reverse("admin:index"),
        "queue": reverse("admin:cancellations_request_changelist"),
        "failed request": reverse("admin:cancellations_request_change", args=[cancel.pk]),
        "policy": reverse("admin:cancellations_policy_change", args=[policy.pk]),
        "shops": reverse("admin:shopify_sync_shop_changelist"),
        "orders": reverse("admin:shopify_sync_order_changelist"),
        "webhooks": reverse("admin:shopify_sync_webhookdelivery_changelist"),
        "insights": reverse("admin:cancellations_insights"),
        "users": reverse("admin:auth_user_changelist"),
        "settings-like search": reverse("admin:cancellations_request_changelist") + "?q=SHOPIFY_ACCESS_TOKEN",
    }.items():
        response = staff_client.get(url)
        assert response.status_code == 200, where
        seen.page(where, response)

    # E-mails (the outbox is sent as the worker would), then every text is searched.
    from cancellations.models import RequestEvent

    for event_id in RequestEvent.objects.filter(notify=True, notified_at__isnull=True).values_list(
        "pk", flat=True
    ):
        request_event_notify(event_id=event_id)
    assert any("could not be completed" in m.body for m in mail.outbox)  # the merchant heard of the failure
    _emails_and_logs(seen, everything_logged)

    assert any("access token" in text for where, text in seen.texts if where == "failed request")
    assert seen.leaks() == []


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_no_secret_on_the_error_pages(secrets, everything_logged, settings, shopper, debug):
    """With DEBUG off: Django's plain 404 and 500. With DEBUG on (development only), the technical pages
    list the settings: Django's filter hides every name with TOKEN, SECRET or KEY in it."""
    settings.DEBUG = debug
    seen = Seen()
    client = Client(raise_request_exception=False)
    client.force_login(shopper)

    not_found = client.get("/no-such-page/")
    server_error = client.get("/boom/")

    assert not_found.status_code == 404 and server_error.status_code == 500
    seen.page("404", not_found)
    seen.page("500", server_error)
    if debug:
        assert "SHOPIFY_ACCESS_TOKEN" in server_error.content.decode()  # the settings are listed…
    else:
        assert "Traceback" not in server_error.content.decode()
    mail.outbox.clear()
    _emails_and_logs(seen, everything_logged)
    assert any(r.levelno >= logging.ERROR for r in everything_logged.records)  # the 500 was logged
    assert seen.leaks() == []  # …but not their values


def test_no_client_secret_token_or_ciphertext_in_pages_commands_or_logs(
    settings, everything_logged, devstore_factory, shop
):
    """Connected as a Dev Dashboard app: the client secret, every token Shopify issued (first, renewed,
    installed) and their ciphertexts stay out of the console, the health and install pages, the check
    command and every log line, also when a token is refused and when the secret is wrong."""
    from io import StringIO

    from shopify_sync.models import ShopAccess
    from shopify_sync.tokens import shop_token

    client_secret = f"{MARK}_client_secret_9d2"
    with devstore_factory(client_secret=client_secret, extra_args=["--shop-domain", SHOP_DOMAIN]) as store:
        settings.SHOPIFY_ACCESS_TOKEN = ""
        settings.SHOPIFY_API_BASE_URL = store.base_url
        settings.SHOPIFY_CLIENT_ID = store.client_id
        settings.SHOPIFY_CLIENT_SECRET = client_secret
        settings.HEALTHZ_TOKEN = f"{MARK}_healthz"
        seen = Seen()
        staff = get_user_model().objects.create_superuser(
            "owner", "owner@store.example", "a-long-password-17"
        )
        staff_client = Client()
        staff_client.force_login(staff)

        shop_token(shop)  # a first token
        store.expire_tokens()
        client_for(shop).shop()  # refused, renewed, sent again
        out = StringIO()
        with pytest.raises(CommandError):
            call_command("shopify_check", stdout=out, stderr=out)  # fails on webhooks: no public address
        seen.text("shopify_check", out.getvalue())
        seen.page("deep health", staff_client.get("/healthz?deep=1"))
        seen.page("shop page", staff_client.get(reverse("admin:shopify_sync_shop_change", args=[shop.pk])))
        seen.page("shops", staff_client.get(reverse("admin:shopify_sync_shop_changelist")))
        seen.page("install refused", Client().get("/shopify/install/callback?shop=x.myshopify.com&hmac=0"))
        settings.SHOPIFY_CLIENT_SECRET = "not-" + client_secret  # a wrong secret: refused, and said so
        store.expire_tokens()
        with pytest.raises(ShopifyAuthError) as refused:
            client_for(shop).shop()
        seen.text("wrong secret", f"{refused.value!s} {refused.value!r}")
        issued = [t["access_token"] for t in store.tokens() if t["grant"] == "client_credentials"]
        ciphertext = ShopAccess.objects.get(shop=shop).token_ciphertext

    _emails_and_logs(seen, everything_logged)
    assert len(issued) == 2
    leaks = seen.leaks() + [
        f"{secret[:12]}… in {where}"
        for where, text in seen.texts
        for secret in (client_secret, ciphertext, *issued)
        if secret in text
    ]
    assert leaks == []
