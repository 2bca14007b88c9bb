"""The shopper's flows in a real Chromium (Debian's), against a live server and a devstore process.

Screenshots at 360 px and 1280 px go to var/screenshots/ (kept as test artefacts, not asserted on).
"""

from __future__ import annotations

import re
import shutil

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from conftest import CHROMIUM, SCREENSHOTS, needs_chromium

SHOPPER = "browser.shopper@example.com"
KR_ADDRESS = {
    "first_name": "Jiwoo",
    "last_name": "Kim",
    "address1": "12 Sejong-daero",
    "city": "Seoul",
    "province_code": "KR-11",
    "country_code": "KR",
    "zip": "03187",
    "phone": "+82 2-1234-5678",
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # live_server needs committed rows; a new shop's policy gets the default reasons even after a flush.
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


@pytest.fixture
def devstore():
    from devstore.testing import start_devstore

    with start_devstore(seed=0) as store:
        yield store


@pytest.fixture
def portal(live_server, devstore, settings):
    """The live portal speaking to the devstore; pushes run in-process (eager Celery)."""
    from portal.celery import app as celery_app

    settings.SHOPIFY_SHOP_DOMAIN = "browser-test.myshopify.com"
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = devstore.token
    settings.CANCELLATIONS_JOB_POLL_INTERVAL_SECONDS = 0.2
    settings.CANCELLATIONS_PUSH_VERIFY_SECONDS = 0.2
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    user = get_user_model().objects.create_user(username="browser-shopper", email=SHOPPER)
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=SHOPPER, verified=True, primary=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield live_server
    celery_app.conf.task_always_eager = previous


def _orders_in_store(devstore, count: int = 2) -> list[dict]:
    """Recent KRW orders for the shopper in the devstore, mirrored as the `orders/create` webhook would."""
    from shopify_sync.services.mirror import orders_upsert
    from shopify_sync.services.shops import shop_get_or_create_current
    from shopify_sync.webhooks.payloads import order_data_from_rest

    created = [
        devstore.create_order(
            email=SHOPPER,
            currency="KRW",
            line_items=[
                {"title": "Celadon tea cup", "variant_title": "Jade", "quantity": 2, "price": "18000"},
                {"title": "Hanji notebook", "quantity": 1, "price": "9000"},
            ],
            shipping_address=KR_ADDRESS,
        )
        for _ in range(count)
    ]
    shop = shop_get_or_create_current()
    shop.iana_timezone, shop.currency = "Asia/Seoul", "KRW"
    shop.save()
    orders_upsert(shop=shop, orders=[order_data_from_rest(devstore.order(o["legacy_id"])) for o in created])
    return created


def _sized_order_in_store(devstore) -> tuple[dict, dict[str, dict]]:
    """A KRW order of two linen shirts in M (S and L in stock) and a notebook, mirrored like the others;
    returns the order and the shirt's variants by size. The devstore prices its catalogue in its shop's
    currency (USD) and converts a KRW order's lines at a fixed demo rate: 14.60 USD is 20,000 KRW."""
    from shopify_sync.services.mirror import orders_upsert
    from shopify_sync.services.shops import shop_get_or_create_current
    from shopify_sync.webhooks.payloads import order_data_from_rest

    product = devstore.create_product(
        title="Linen shirt",
        options=["Size"],
        variants=[
            {"options": ["S"], "price": "14.60", "inventory_quantity": 5},
            {"options": ["M"], "price": "14.60", "inventory_quantity": 5},
            {"options": ["L"], "price": "16.06", "inventory_quantity": 5},
        ],
    )
    variants = {v["title"]: v for v in product["variants"]}
    created = devstore.create_order(
        email=SHOPPER,
        currency="KRW",
        line_items=[
            {"variant_id": variants["M"]["id"], "quantity": 2},
            {"title": "Hanji notebook", "quantity": 1, "price": "9000"},
        ],
        shipping_address=KR_ADDRESS,
    )
    shop = shop_get_or_create_current()
    shop.iana_timezone, shop.currency = "Asia/Seoul", "KRW"
    shop.save()
    orders_upsert(shop=shop, orders=[order_data_from_rest(devstore.order(created["legacy_id"]))])
    return created, variants


def _page(browser, width: int, locale: str = "en-US", accept_language: str | None = None):
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale=locale,
        extra_http_headers={"Accept-Language": accept_language} if accept_language else None,
    )
    return context, context.new_page()


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _shoot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/orders/")
    assert "/accounts/login/code/" in page.url
    page.fill("input[name=email]", SHOPPER)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/accounts/login/code/confirm/.*"))
    body = str(mail.outbox[-1].body)
    code = re.search(r"^\s*([A-Z0-9]{4}-?[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", body, re.MULTILINE)
    assert code, body
    page.fill("input[name=code]", code.group(1))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/orders/$"))


def test_a_shopper_signs_in_by_code_cancels_and_changes_an_address(browser, portal, devstore):
    first, second = _orders_in_store(devstore)
    context, page = _page(browser, 360)
    page.goto(f"{portal.url}/accounts/login/code/")
    _shoot(page, "en-sign-in-360")
    _sign_in(page, portal.url)
    assert "minutes left to change this order" in page.content()
    _shoot(page, "en-orders-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    _shoot(page, "en-orders-1280")
    page.set_viewport_size({"width": 360, "height": 900})

    # Cancel the first order: keyboard only, from the list.
    page.click(f"a[href='/orders/{first['legacy_id']}/cancel/']")
    _shoot(page, "en-cancel-360")
    page.check("input[value=ordered_by_mistake]")
    page.check("input[name=confirm]")
    page.click("button[type=submit].button--danger")
    page.wait_for_url(re.compile(rf".*/orders/{first['legacy_id']}/$"))
    assert "We received your request to cancel" in page.content()
    assert "Request received" in page.content()
    _shoot(page, "en-cancel-done-360")

    # Change the second order's address: form, review old versus new, confirm.
    page.goto(f"{portal.url}/orders/{second['legacy_id']}/address/")
    assert page.input_value("#id_address1") == "12 Sejong-daero"
    page.fill("#id_address1", "1 Teheran-ro")
    page.fill("#id_address2", "Unit 1201")
    page.fill("#id_zip", "06236")
    _shoot(page, "en-address-360")
    page.click("text=Review the change")
    assert "1 Teheran-ro" in page.content() and "12 Sejong-daero" in page.content()
    _shoot(page, "en-address-review-360")
    page.click("button[name=confirm]")
    page.wait_for_url(re.compile(rf".*/orders/{second['legacy_id']}/$"))
    assert "We received your new shipping address" in page.content()
    _shoot(page, "en-address-done-360")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{portal.url}/orders/{first['legacy_id']}/")
    _shoot(page, "en-order-detail-1280")
    page.goto(f"{portal.url}/orders/{second['legacy_id']}/")
    _shoot(page, "en-order-address-detail-1280")
    context.close()


def test_a_korean_shopper_cancels_in_korean(browser, portal, devstore):
    (order,) = _orders_in_store(devstore, count=1)
    context, page = _page(browser, 360, locale="ko-KR")
    _sign_in(page, portal.url)
    assert 'lang="ko"' in page.content()
    assert "남았습니다" in page.content()
    _shoot(page, "ko-orders-360")
    page.click(f"a[href='/orders/{order['legacy_id']}/cancel/']")
    _shoot(page, "ko-cancel-360")
    page.check("input[value=changed_my_mind]")
    page.check("input[name=confirm]")
    page.click("button[type=submit].button--danger")
    page.wait_for_url(re.compile(rf".*/orders/{order['legacy_id']}/$"))
    assert "취소 요청을 접수했습니다" in page.content()
    _shoot(page, "ko-cancel-done-360")
    page.goto(f"{portal.url}/orders/{order['legacy_id']}/address/")
    _shoot(page, "ko-address-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{portal.url}/orders/")
    _shoot(page, "ko-orders-1280")
    page.goto(f"{portal.url}/orders/{order['legacy_id']}/")
    _shoot(page, "ko-order-detail-1280")
    context.close()


def test_a_korean_shopper_lowers_a_quantity_on_a_phone(browser, portal, devstore):
    order, variants = _sized_order_in_store(devstore)
    detail = f"{portal.url}/orders/{order['legacy_id']}/"
    context, page = _page(browser, 360, locale="ko-KR", accept_language="ko")
    _sign_in(page, portal.url)
    page.goto(detail)
    assert 'lang="ko"' in page.content()

    page.click("a.button:has-text('상품 변경')")
    page.wait_for_url(re.compile(rf".*/orders/{order['legacy_id']}/items/$"))
    assert "Linen shirt" in page.content() and "Hanji notebook" in page.content()
    page.select_option("select[name=quantity_0]", "1")
    assert _page_width(page) <= 360, "the edit page scrolls sideways at 360 px"
    _shoot(page, "ko-items-360")

    page.click("button:has-text('새 합계 보기')")
    page.wait_for_selector("button:has-text('변경 확정하기')")
    assert "변경된 주문 확인" in page.content()
    # Shopify's new total: one shirt and the notebook; the difference goes back.
    assert "₩29,000" in page.inner_text(".summary .total")
    assert "원래 결제 수단으로 ₩20,000을(를) 환불해 드립니다." in page.inner_text(".refund")
    assert _page_width(page) <= 360, "the review page scrolls sideways at 360 px"
    _shoot(page, "ko-items-review-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    _shoot(page, "ko-items-review-1280")
    page.set_viewport_size({"width": 360, "height": 900})

    page.click("button:has-text('변경 확정하기')")
    page.wait_for_url(re.compile(rf".*/orders/{order['legacy_id']}/$"))
    assert f"주문 {order['name']} 상품 변경 요청을 접수했습니다." in page.content()
    _shoot(page, "ko-items-done-360")

    # Celery runs eagerly here: the push committed the edit and refunded before the redirect.
    page.goto(detail)
    assert "완료: 주문 상품이 변경되었습니다" in page.inner_text(".timeline")
    in_store = devstore.order(order["legacy_id"])
    shirt = in_store["line_items"][0]
    assert (shirt["variant_id"], shirt["current_quantity"]) == (variants["M"]["id"], 1)
    assert in_store["current_total_price"] == "29000"  # what the review page showed
    assert [t["amount"] for r in in_store["refunds"] for t in r["transactions"]] == ["20000"]
    context.close()


def test_chromium_is_debians():
    assert shutil.which("chromium") or CHROMIUM.exists()
