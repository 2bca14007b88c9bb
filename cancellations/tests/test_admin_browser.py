"""The merchant console in a real Chromium (Debian's) against a live server: a moderator signs in, works
the queue, opens the approve page and the insights. Screenshots go to var/screenshots/admin-*.png (kept
as test artefacts, not asserted on)."""

from __future__ import annotations

import importlib
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from cancellations.models import RefundMethod, Request, ShopifyMutation
from cancellations.services import policy_get_or_create
from cancellations.tests.admin_support import NEW_ADDRESS, moderated, waiting_make
from cancellations.tests.factories import MerchantFactory
from conftest import SCREENSHOTS, needs_chromium
from shopify_sync.models import Shop
from shopify_sync.tests.factories import LineItemFactory, OrderFactory

PASSWORD = "console-pass-1"
PRODUCTS = ["Celadon tea cup", "Hanji notebook", "Brass chopsticks", "Linen apron", "Onggi jar"]
REASONS = [
    "changed_my_mind",
    "ordered_by_mistake",
    "wrong_size_or_variant",
    "found_better_price",
    "wrong_address",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # live_server needs committed rows; the migrations' rows a flush removed are put back below.
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]


def _migrations_rows_ensure() -> None:
    """A live-server test runs on a flushed database: put back the default reasons and the group."""
    importlib.import_module("cancellations.migrations.0002_seed_default_reasons").seed(apps, None)
    importlib.import_module("cancellations.migrations.0004_moderators_group").group_ensure(apps, None)


def _history(shop: Shop, weeks: int = 8) -> None:
    """Some weeks of orders, cancels and address fixes for the insights, built directly (no pushes)."""
    rng = random.Random(7)
    now = timezone.now()
    for index in range(weeks * 14):
        placed = now - timedelta(days=weeks * 7) + timedelta(hours=12 * index + rng.randint(0, 6))
        cancelled = rng.random() < 0.25
        total = Decimal(rng.choice(["18000", "27000", "45000", "9000"]))
        order = OrderFactory(
            shop=shop,
            processed_at=placed,
            created_at_shopify=placed,
            updated_at_shopify=placed,
            currency="KRW",
            presentment_currency="KRW",
            total_price=total,
            total_price_presentment=total,
            total_refunded=total if cancelled and rng.random() < 0.8 else Decimal("0"),
            cancelled_at=placed + timedelta(hours=2) if cancelled else None,
        )
        LineItemFactory(order=order, title=rng.choice(PRODUCTS), quantity=rng.randint(1, 3))
        if cancelled:
            made = Request.objects.create(
                order=order,
                kind=Request.Kind.CANCEL,
                state=Request.State.COMPLETED,
                reason_code=rng.choice(REASONS),
                shopper_email=order.email,
                refund=rng.choice([RefundMethod.FULL, RefundMethod.FULL, RefundMethod.STORE_CREDIT]),
            )
            Request.objects.filter(pk=made.pk).update(
                created_at=placed + timedelta(minutes=rng.randint(5, 300))
            )
        elif rng.random() < 0.12:
            made = Request.objects.create(
                order=order,
                kind=Request.Kind.ADDRESS_CHANGE,
                state=Request.State.COMPLETED,
                shopper_email=order.email,
                requested_address=NEW_ADDRESS,
                previous_address=order.shipping_address,
            )
            Request.objects.filter(pk=made.pk).update(
                created_at=placed + timedelta(minutes=rng.randint(5, 60))
            )
    failed = OrderFactory(shop=shop, processed_at=now - timedelta(minutes=40), created_at_shopify=now)
    failed_request = Request.objects.create(
        order=failed,
        kind=Request.Kind.CANCEL,
        state=Request.State.FAILED,
        reason_code="changed_my_mind",
        shopper_email=failed.email,
        refund=RefundMethod.FULL,
        failure_code=Request.Failure.SHOPIFY_REFUSED,
        last_error="Cannot cancel an order that has already been canceled",
    )
    ShopifyMutation.objects.create(
        request=failed_request,
        position=1,
        operation=ShopifyMutation.Operation.ORDER_CANCEL,
        state=ShopifyMutation.State.FAILED,
        idempotency_key=f"demo-{failed_request.pk}",
        result_id="gid://shopify/Job/1f2e3d",
        error="Cannot cancel an order that has already been canceled",
    )


@pytest.fixture
def console(live_server, settings):
    from portal.celery import app as celery_app

    settings.SHOPIFY_SHOP_DOMAIN = "seoul-goods.myshopify.com"
    _migrations_rows_ensure()
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # only e-mails are queued here (no approval is sent)
    shop = Shop.objects.create(domain=settings.SHOPIFY_SHOP_DOMAIN, name="Seoul Goods", currency="KRW")
    moderated(policy_get_or_create(shop=shop))
    _history(shop)
    waiting_make(shop, count=3)
    waiting_make(shop, reason_code="other", reason_text="Bought it twice <by accident>, sorry!")
    waiting_make(shop, reason_code="wrong_address")
    waiting_make(shop, kind=Request.Kind.ADDRESS_CHANGE)
    moderator = MerchantFactory(username="moderator-browser", password=PASSWORD)
    moderator.groups.add(apps.get_model("auth", "Group").objects.get(name="Moderators"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield live_server
    celery_app.conf.task_always_eager = previous


def _shoot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "moderator-browser")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def test_a_moderator_works_the_queue_and_reads_the_insights(browser, console):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    _sign_in(page, console.url)
    assert "requests waiting for a decision" in page.content()
    _shoot(page, "admin-index-1280")

    page.click("#moderation-queue-summary a")
    page.goto(f"{console.url}/admin/cancellations/request/")
    rows = page.locator("#result_list tbody tr")
    assert "Submitted" in rows.nth(0).inner_text()
    assert "&lt;by accident&gt;" in page.content()
    _shoot(page, "admin-queue-1280")

    # Bulk: the three oldest waiting requests → the approve page, a partial refund.
    for index in range(3):
        rows.nth(index).locator("input.action-select").check()
    page.select_option("select[name=action]", "approve_selected")
    page.click("button[name=index]")
    page.wait_for_selector("text=Approve 3 requests")
    page.check("input[name=refund][value=partial]")
    page.fill("input[name=refund_amount]", "5000")
    page.fill("textarea[name=message]", "We kept the gift wrapping; the rest is on its way back to you.")
    _shoot(page, "admin-approve-1280")

    # The address change's page: the order as it is, both addresses, the audit trail.
    address = Request.objects.get(kind=Request.Kind.ADDRESS_CHANGE, state=Request.State.SUBMITTED)
    page.goto(f"{console.url}/admin/cancellations/request/{address.pk}/change/")
    assert "99 Queen St W" in page.content()
    _shoot(page, "admin-request-1280")

    page.goto(f"{console.url}/admin/cancellations/request/insights/")
    page.wait_for_selector(".rq-canvas--drawn canvas")
    assert page.locator(".rq-canvas--drawn").count() == 6
    _shoot(page, "admin-insights-1280")
    context.close()


def test_the_console_reads_in_korean(browser, console):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    page = context.new_page()
    _sign_in(page, console.url)
    page.goto(f"{console.url}/admin/cancellations/request/")
    assert 'lang="ko"' in page.content()
    _shoot(page, "admin-queue-ko-1280")
    page.goto(f"{console.url}/admin/cancellations/request/insights/")
    page.wait_for_selector(".rq-canvas--drawn canvas")
    _shoot(page, "admin-insights-ko-1280")
    context.close()
