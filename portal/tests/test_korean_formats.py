"""Korean dates read as a Korean writes them: "2026년 12월 3일 오후 6:04", the store's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import translation

from portal import formatting


def test_the_period_of_day_comes_before_the_time_in_korean():
    moment = datetime(2026, 12, 3, 9, 4, tzinfo=UTC)  # 18:04 in Seoul
    with translation.override("ko"):
        text = formatting.shop_datetime(moment, "Asia/Seoul")
    assert text.startswith("2026년 12월 3일 오후 6:04")
    with translation.override("en"):
        assert "6:04 p.m." in formatting.shop_datetime(moment, "Asia/Seoul")


def test_the_console_shows_times_in_the_stores_time_zone(admin_client, shop):
    from portal.tests.conftest import make_order

    make_order(shop, "ada@example.com", processed_at=datetime(2026, 12, 3, 9, 4, tzinfo=UTC))
    html = admin_client.get("/admin/shopify_sync/order/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "6:04 p.m." in html  # Seoul, not UTC's 9:04 a.m.
    html = admin_client.get("/admin/shopify_sync/order/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "오후 6:04" in html
