"""E-mails: the shopper hears in the language they asked in; merchants hear what needs them."""

from __future__ import annotations

import pytest
from django.core import mail

from cancellations.models import RequestEvent
from cancellations.notifications import request_event_notify
from cancellations.services import request_approve, request_reject, request_submit
from cancellations.tasks import send_request_event_emails


def send_all() -> list:
    for event_id in RequestEvent.objects.filter(notify=True, notified_at__isnull=True).values_list(
        "pk", flat=True
    ):
        request_event_notify(event_id=event_id)
    return mail.outbox


def submit(order, shopper, language="en"):
    return request_submit(
        order=order, shopper=shopper, kind="cancel", reason_code="ordered_by_mistake", language=language
    )


def test_a_moderated_request_tells_the_shopper_and_the_merchant(moderated, shopper, owned_order):
    order = owned_order()
    submit(order, shopper)

    shopper_mail, merchant_mail = send_all()

    assert shopper_mail.to == [shopper.email]
    assert shopper_mail.subject == f"We received your request for order {order.name}"
    assert "We received your request to cancel order" in shopper_mail.body
    html, mimetype = shopper_mail.alternatives[0]
    assert mimetype == "text/html" and order.name in html and "<html" in html
    assert merchant_mail.to == ["staff@store.example"]
    assert "waits for your decision" in merchant_mail.body and "Ordered by mistake" in merchant_mail.body


def test_a_korean_shopper_hears_in_korean(moderated, shopper, merchant, owned_order):
    order = owned_order()
    request = submit(order, shopper, language="ko")
    send_all()
    mail.outbox.clear()

    request_reject(request=request, moderator=merchant, message="이미 포장되었습니다.")
    [rejected] = send_all()

    assert rejected.subject == f"주문 {order.name} 요청을 받아들이지 못했습니다"
    assert "이미 포장되었습니다." in rejected.body and "스토어에서 보낸 메시지" in rejected.body
    assert 'lang="ko"' in rejected.alternatives[0][0]


def test_an_auto_approved_cancel_e_mails_once_as_approved_with_the_refund(policy, shopper, owned_order):
    order = owned_order()
    submit(order, shopper)

    [approved] = send_all()

    assert approved.subject == f"Your request for order {order.name} is approved"
    assert "refunded in full to your original payment method" in approved.body
    assert "&#x27;" not in approved.body and "&amp;" not in approved.body  # plain text is not escaped


def test_a_partial_refund_names_the_amount(moderated, shopper, merchant, owned_order):
    request = submit(owned_order(), shopper)
    request_approve(
        request=request, moderator=merchant, refund="partial", refund_amount="7.5", message="Sorry!"
    )

    approved = send_all()[-1]

    assert "You will be refunded 7.50 USD" in approved.body and "Sorry!" in approved.body


def test_an_event_task_delivered_twice_sends_once(moderated, shopper, owned_order):
    submit(owned_order(), shopper)
    [event] = RequestEvent.objects.filter(notify=True)

    send_request_event_emails.apply(args=(event.pk,))
    send_request_event_emails.apply(args=(event.pk,))

    assert len(mail.outbox) == 2  # the shopper's and the merchant's, once each


def test_a_failed_send_is_left_for_the_next_try(moderated, shopper, owned_order, settings):
    submit(owned_order(), shopper)
    [event] = RequestEvent.objects.filter(notify=True)
    settings.EMAIL_BACKEND = "cancellations.tests.test_notifications.BrokenBackend"

    with pytest.raises(OSError, match="SMTP server is down"):
        request_event_notify(event_id=event.pk)

    event.refresh_from_db()
    assert event.notified_at is None


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP server is down")


def test_links_in_e_mails_go_to_the_stores_own_portal(moderated, shopper, owned_order, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    order = owned_order()
    order.shop.portal_host = "help.store-b.example"
    order.shop.save(update_fields=["portal_host"])
    submit(order, shopper)

    merchant_mail = next(m for m in send_all() if m.to == ["staff@store.example"])

    assert "https://help.store-b.example/admin/cancellations/request/" in merchant_mail.body
    assert "portal.example.com" not in merchant_mail.body
