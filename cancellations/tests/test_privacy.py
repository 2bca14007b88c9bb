"""A shopper's redaction reaches the Shopify calls their requests planned (addresses, notes naming them)."""

from __future__ import annotations

import pytest

from cancellations.errors import RequestNotAllowed
from cancellations.models import Request
from cancellations.services import request_approve, request_retry, request_submit
from cancellations.services.privacy import requests_redact_shopper
from cancellations.services.transitions import Actor, request_move
from cancellations.tests.test_services import NEW_ADDRESS


def test_redaction_blanks_a_settled_requests_calls_and_leaves_an_open_one_able_to_go(
    moderated, shopper, merchant, owned_order
):
    settled_order, open_order = owned_order(), owned_order()
    settled = request_submit(
        order=settled_order,
        shopper=shopper,
        kind="cancel",
        reason_code="other",
        reason_text="Moving to Busan",
    )
    request_approve(request=settled, moderator=merchant)
    request_move(settled.pk, to="pushing", actor=Actor.system("push"))
    request_move(settled.pk, to="completed", actor=Actor.system("push"))
    still_open = request_submit(
        order=open_order, shopper=shopper, kind="cancel", reason_code="changed_my_mind"
    )
    request_approve(request=still_open, moderator=merchant)
    [settled_call] = settled.mutations.all()
    assert "Moving to Busan" in settled_call.variables["staff_note"]

    requests_redact_shopper(
        shop=settled_order.shop, email=shopper.email, order_ids=[settled_order.pk, open_order.pk]
    )

    settled_call.refresh_from_db()
    assert settled_call.variables == {"redacted": True}
    assert "Busan" not in str(Request.objects.get(pk=settled.pk).mutations.values())
    [open_call] = still_open.mutations.all()
    assert open_call.variables["order_gid"] == open_order.shopify_gid  # its push can still go out


def test_an_erased_address_change_is_never_sent_blank(moderated, shopper, merchant, owned_order):
    waiting = request_submit(
        order=owned_order(), shopper=shopper, kind="address_change", reason_code="", address=NEW_ADDRESS
    )
    failed = request_submit(
        order=owned_order(), shopper=shopper, kind="address_change", reason_code="", address=NEW_ADDRESS
    )
    request_approve(request=failed, moderator=merchant)
    request_move(failed.pk, to="pushing", actor=Actor.system("push"))
    request_move(failed.pk, to="failed", actor=Actor.system("push"), failure_code="shopify_unavailable")

    requests_redact_shopper(
        shop=waiting.order.shop, email=shopper.email, order_ids=[waiting.order_id, failed.order_id]
    )

    with pytest.raises(RequestNotAllowed) as refused:
        request_approve(request=Request.objects.get(pk=waiting.pk), moderator=merchant)
    assert refused.value.code == "erased"
    with pytest.raises(RequestNotAllowed):
        request_retry(request=Request.objects.get(pk=failed.pk), moderator=merchant)
    assert Request.objects.get(pk=waiting.pk).state == "submitted"
    assert Request.objects.get(pk=failed.pk).state == "failed"
    assert not Request.objects.get(pk=failed.pk).mutations.exclude(variables={"redacted": True}).exists()
