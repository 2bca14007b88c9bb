"""Markup a shopper or a store typed (a reason, a name, an address, a product title, a merchant's message)
comes out as text in the portal's pages, the HTML e-mails and the merchant console: escaped, never run.

Plain-text e-mails are not HTML and are not escaped (`cancellations/tests/test_notifications.py`).
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from cancellations.models import Request, RequestEvent
from cancellations.notifications import request_event_notify
from cancellations.services.requests import request_reject, request_submit
from portal.tests.conftest import make_order
from shopify_sync.tests.factories import LineItemFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
PAYLOAD = f"{SCRIPT}{IMG}"
# What must never appear in HTML: an element the browser would build from user text.
RAW = re.compile(r"<script>alert|<img src=x", re.IGNORECASE)
ESCAPED = "&lt;script&gt;alert("


def _hostile_address() -> dict[str, str]:
    return {
        "first_name": PAYLOAD,
        "last_name": "Lee" + IMG,
        "company": SCRIPT,
        "address1": "12 Sejong-daero " + PAYLOAD,
        "address2": IMG,
        "city": "Seoul" + SCRIPT,
        "province": "Seoul",
        "province_code": "KR-11",
        "country": "South Korea",
        "country_code": "KR",
        "zip": "03187",
        "phone": "+82212345678",
    }


@pytest.fixture
def hostile(shop, policy, shopper, settings):
    """Orders, requests and a rejection whose every free-text field carries markup."""
    settings.MERCHANT_NOTIFY_EMAILS = ["staff@store.example"]
    policy.auto_approve_cancels = False
    policy.auto_approve_address_changes = False
    policy.save()
    shop.name = "Seoul Goods" + SCRIPT
    shop.save()
    moderator = get_user_model().objects.create_user(username="mod", is_staff=True, is_superuser=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))

    order = make_order(shop, "ada@example.com", shipping_address=_hostile_address())
    LineItemFactory(
        order=order, title="Cup " + PAYLOAD, position=5, currency="KRW", presentment_currency="KRW"
    )
    cancel = request_submit(
        order=order,
        shopper=shopper,
        kind=Request.Kind.CANCEL,
        reason_code="other",
        reason_text="Because " + PAYLOAD,
    )
    address = request_submit(
        order=order,
        shopper=shopper,
        kind=Request.Kind.ADDRESS_CHANGE,
        # another street (the same address is refused), markup in every field still
        address={**_hostile_address(), "address1": "1 Teheran-ro " + PAYLOAD},
    )
    rejected_order = make_order(shop, "ada@example.com", shipping_address=_hostile_address())
    rejected = request_submit(
        order=rejected_order,
        shopper=shopper,
        kind=Request.Kind.CANCEL,
        reason_code="other",
        reason_text=PAYLOAD,
    )
    request_reject(request=rejected, moderator=moderator, message="Sorry " + PAYLOAD)
    return {
        "order": order,
        "rejected_order": rejected_order,
        "cancel": cancel,
        "address": address,
        "rejected": rejected,
        "moderator": moderator,
    }


def _assert_escaped(html: str, where: str, *, shown: bool = True) -> None:
    found = RAW.search(html)
    assert found is None, f"{where}: raw markup at …{html[max(found.start() - 80, 0) : found.end() + 40]}…"
    assert not shown or ESCAPED in html or "\\u003Cscript\\u003E" in html, (
        f"{where}: the hostile text is not shown"
    )


def test_the_shoppers_pages_show_markup_as_text(client, hostile, shopper):
    client.force_login(shopper)
    order, rejected_order = hostile["order"], hostile["rejected_order"]
    pages = {
        "order list": reverse("orders:list"),
        "order detail": reverse("orders:detail", args=[order.legacy_id]),
        "rejected detail": reverse("orders:detail", args=[rejected_order.legacy_id]),
        "cancel form": reverse("orders:cancel", args=[rejected_order.legacy_id]),
        "address form": reverse("orders:address", args=[rejected_order.legacy_id]),
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        _assert_escaped(response.content.decode(), where, shown=where != "cancel form")
    assert "Sorry &lt;script&gt;" in client.get(pages["rejected detail"]).content.decode()


def test_the_address_review_shows_a_typed_address_as_text(client, hostile, shopper):
    client.force_login(shopper)
    order = hostile["rejected_order"]

    response = client.post(
        reverse("orders:address", args=[order.legacy_id]),
        {
            "first_name": PAYLOAD,
            "last_name": "Lee",
            "address1": "1 Teheran-ro " + PAYLOAD,
            "city": "Seoul",
            "country": "KR",
            "province": "KR:KR-11",
            "zip": "06236",
        },
    )

    assert response.status_code == 200
    _assert_escaped(response.content.decode(), "address review")


def _html_alternatives() -> list[tuple[str, str]]:
    for event_id in RequestEvent.objects.filter(notify=True, notified_at__isnull=True).values_list(
        "pk", flat=True
    ):
        request_event_notify(event_id=event_id)
    found = []
    for message in mail.outbox:
        if not isinstance(message, EmailMultiAlternatives):
            continue
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                found.append((f"{message.subject} to {message.to}", str(content)))
    return found


def test_the_html_emails_show_markup_as_text(hostile):
    emails = _html_alternatives()

    # shopper: submitted (x3) and rejected; merchant: three requests waiting
    assert len(emails) >= 7
    for where, html in emails:
        assert RAW.search(html) is None, where
    merchant = [html for where, html in emails if "staff@store.example" in where]
    assert any("Because &lt;script&gt;" in html for html in merchant)  # the reason text
    rejected = [html for where, html in emails if "not accepted" in where]
    assert rejected and "Sorry &lt;script&gt;" in rejected[0]


def test_an_approved_address_change_email_shows_the_address_as_text(hostile):
    from cancellations.services.requests import request_approve

    request_approve(request=hostile["address"], moderator=hostile["moderator"], message=PAYLOAD)

    emails = _html_alternatives()
    approved = [html for where, html in emails if "approved" in where]
    assert approved
    _assert_escaped(approved[0], "approved e-mail")


def test_the_merchant_console_shows_markup_as_text(client, hostile):
    client.force_login(hostile["moderator"])
    cancel, address, rejected = hostile["cancel"], hostile["address"], hostile["rejected"]
    order = hostile["order"]
    pages = {
        "queue": reverse("admin:cancellations_request_changelist"),
        "cancel request": reverse("admin:cancellations_request_change", args=[cancel.pk]),
        "address request": reverse("admin:cancellations_request_change", args=[address.pk]),
        "rejected request": reverse("admin:cancellations_request_change", args=[rejected.pk]),
        "approve page": reverse("admin:cancellations_request_approve") + f"?ids={cancel.pk},{address.pk}",
        "reject page": reverse("admin:cancellations_request_reject") + f"?ids={cancel.pk}",
        "order": reverse("admin:shopify_sync_order_change", args=[order.pk]),
        "orders": reverse("admin:shopify_sync_order_changelist"),
        "queue search": reverse("admin:cancellations_request_changelist") + "?q=" + SCRIPT,
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        _assert_escaped(response.content.decode(), where, shown=where != "orders")


def test_the_insights_page_keeps_markup_out_of_its_html_and_its_chart_data(client, hostile):
    Request.objects.filter(pk=hostile["cancel"].pk).update(state=Request.State.COMPLETED)
    client.force_login(hostile["moderator"])

    html = client.get(reverse("admin:cancellations_insights")).content.decode()

    assert RAW.search(html) is None
    data = re.search(r'<script id="insights-data" type="application/json">(.*?)</script>', html, re.S)
    assert data is not None
    json.loads(data.group(1))  # json_script: markup is \u003C-escaped inside, and it still parses
