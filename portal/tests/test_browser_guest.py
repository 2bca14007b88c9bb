"""Guests in a real Chromium: the lookup by order number and e-mail with a code, the signed link from
Shopify's e-mail, and the EU withdrawal button before and after shipping."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from conftest import needs_chromium
from portal.tests.test_browser import (  # noqa: F401  (fixtures)
    SHOPPER,
    _orders_in_store,
    _page,
    _shoot,
    devstore,
    portal,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True), needs_chromium]


def _withdrawals_on():
    from cancellations.services.policies import policy_get_or_create
    from shopify_sync.services.shops import shop_get_or_create_current

    policy = policy_get_or_create(shop=shop_get_or_create_current())
    policy.withdrawal_enabled = True
    policy.auto_approve_cancels = True
    policy.save()
    return policy


def test_a_guest_looks_up_an_order_with_a_code_and_cancels_it(browser, portal, devstore):
    (order,) = _orders_in_store(devstore, count=1)
    context, page = _page(browser, 360)
    page.goto(f"{portal.url}/lookup/")
    page.fill("input[name=order_number]", order["name"].lstrip("#"))
    page.fill("input[name=email]", SHOPPER.upper())
    _shoot(page, "en-lookup-360")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/lookup/code/$"))
    code = re.search(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    assert code and mail.outbox[-1].to == [SHOPPER]
    page.fill("input[name=code]", code.group(1))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf".*/orders/{order['legacy_id']}/$"))
    _shoot(page, "en-guest-order-360")

    page.click(f"a[href='/orders/{order['legacy_id']}/cancel/']")
    page.check("input[value=ordered_by_mistake]")
    page.check("input[name=confirm]")
    page.click("button[type=submit].button--danger")
    page.wait_for_url(re.compile(rf".*/orders/{order['legacy_id']}/$"))
    assert "We received your request to cancel" in page.content()
    context.close()


def test_a_wrong_email_gets_the_same_page_and_no_code(browser, portal, devstore):
    (order,) = _orders_in_store(devstore, count=1)
    context, page = _page(browser, 1280)
    page.goto(f"{portal.url}/lookup/")
    page.fill("input[name=order_number]", order["name"])
    page.fill("input[name=email]", "someone.else@example.com")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/lookup/code/$"))
    assert "we have sent a 6-digit code" in page.content()
    assert mail.outbox == []
    for _ in range(5):
        page.fill("input[name=code]", "000000")
        page.click("main button[type=submit]")
    assert "Ask for a new code" in page.content()
    context.close()


def test_a_signed_link_opens_the_order_and_the_guest_withdraws_before_shipping(browser, portal, devstore):
    from cancellations.models import Request, Withdrawal
    from portal.order_access import link_key_create, link_key_secret, link_token
    from shopify_sync.services.shops import shop_get_or_create_current

    _withdrawals_on()
    (order,) = _orders_in_store(devstore, count=1)
    key = link_key_create(shop=shop_get_or_create_current())
    token = link_token(secret=link_key_secret(key), order_legacy_id=order["legacy_id"], email=SHOPPER)
    context, page = _page(browser, 360, locale="ko-KR")
    page.goto(f"{portal.url}/o/{token[:-1]}0/")
    assert "/lookup/" in page.content()  # a tampered link offers the lookup
    page.goto(f"{portal.url}/o/{token}/")
    page.wait_for_url(re.compile(rf".*/orders/{order['legacy_id']}/$"))
    _shoot(page, "ko-guest-link-order-360")

    page.click(f"a[href='/orders/{order['legacy_id']}/withdraw/']")
    _shoot(page, "ko-withdraw-360")
    page.fill("input[name=name]", "김지우")
    page.click("main button[type=submit]")
    _shoot(page, "ko-withdraw-confirm-360")
    assert Withdrawal.objects.count() == 0  # step one records nothing
    page.click("button[name=confirm]")
    page.wait_for_url(re.compile(rf".*/orders/{order['legacy_id']}/$"))

    withdrawal = Withdrawal.objects.get()
    assert withdrawal.name == "김지우" and withdrawal.language == "ko"
    assert withdrawal.request.kind == Request.Kind.CANCEL
    [ack] = [m for m in mail.outbox if "청약철회" in m.subject]
    assert withdrawal.statement in ack.body
    context.close()


def test_a_withdrawal_after_shipping_becomes_a_return_request(browser, portal, devstore):
    from cancellations.models import Request, Withdrawal
    from portal.order_access import link_key_create, link_key_secret, link_token
    from shopify_sync.services.mirror import orders_upsert
    from shopify_sync.services.shops import shop_get_or_create_current
    from shopify_sync.webhooks.payloads import order_data_from_rest

    _withdrawals_on()
    (order,) = _orders_in_store(devstore, count=1)
    devstore.fulfill(order["legacy_id"])
    shop = shop_get_or_create_current()
    orders_upsert(shop=shop, orders=[order_data_from_rest(devstore.order(order["legacy_id"]))])
    key = link_key_create(shop=shop)
    token = link_token(secret=link_key_secret(key), order_legacy_id=order["legacy_id"], email=SHOPPER)
    context, page = _page(browser, 1280)
    page.goto(f"{portal.url}/o/{token}/")
    page.click(f"a[href='/orders/{order['legacy_id']}/withdraw/']")
    assert "becomes a return of everything that shipped" in page.content()
    page.fill("input[name=name]", "Jiwoo Kim")
    page.click("main button[type=submit]")
    page.click("button[name=confirm]")
    page.wait_for_url(re.compile(rf".*/orders/{order['legacy_id']}/$"))
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.request.kind == Request.Kind.RETURN
    assert sum(line["quantity"] for line in withdrawal.request.return_lines or []) == 3
    context.close()
