"""The shopper's order list in a store's mirror of 50,000 orders from 10,000 other shoppers: SQL queries per
page for a shopper with 10 orders and one with 500 (must be equal), the time of one request on an idle
server (median of one connection's sequential requests), and requests per second and p99 under load from a
second process (wrk) on gunicorn with 2 workers, against a bare view."""

from __future__ import annotations

import tempfile
import urllib.request
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import database, server
from bench.figures import Figure
from bench.load import lua_headers, wrk
from bench.mirror import mirror_fill, order_payload
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.services.shops import shop_get_or_create_current
from shopify_sync.tests.factories import CustomerDataFactory, OrderDataFactory

SIZES = (10, 500)
# The rest of the store: what the ownership query must not read.
MIRROR_ORDERS, MIRROR_SHOPPERS = 50_000, 10_000


def _shopper_with_orders(shop, count: int):
    """A shopper whose orders came in through the mirror's own upsert: every third one a guest checkout
    (found by the order's e-mail), the others on their customer account (found by the customer's)."""
    email = f"bench-{count}@example.com"
    user = get_user_model().objects.create_user(username=email, email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    now = timezone.now()
    customer = CustomerDataFactory(email=email)
    orders = [
        OrderDataFactory(
            email=email,
            customer=None if i % 3 == 0 else customer,
            processed_at=now - timedelta(hours=i),
            created_at=now - timedelta(hours=i),
            updated_at=now - timedelta(hours=i),
            raw=order_payload(),
        )
        for i in range(count)
    ]
    orders_upsert(shop=shop, orders=orders)
    return user


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _check_signed_in(url: str, cookie: str) -> None:
    """wrk counts redirects as success: make sure the cookie really shows the shopper's order list."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - our own local server
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.url == url and response.status == 200, (response.url, response.status)


def _queries(user) -> int:
    client = Client()
    client.force_login(user)
    client.get("/orders/")  # the first visit may store the shopper's language: measure a later one
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/orders/")
    assert response.status_code == 200, response.status_code
    return len(queries)


def run() -> list[Figure]:
    database.fresh_database()
    shop = shop_get_or_create_current()
    shop.currency, shop.iana_timezone = "USD", "Asia/Seoul"
    shop.save()
    mirror_fill(shop, orders=MIRROR_ORDERS, shoppers=MIRROR_SHOPPERS)
    users = {size: _shopper_with_orders(shop, size) for size in SIZES}
    queries = {size: _queries(user) for size, user in users.items()}
    cookies = {size: _session_cookie(user) for size, user in users.items()}

    with tempfile.TemporaryDirectory() as static_root:
        env = server.production_env(STATIC_ROOT=static_root)
        server.collect_static(env)
        with server.gunicorn(env) as base:
            for cookie in cookies.values():
                _check_signed_in(f"{base}/orders/", cookie)
            wrk(f"{base}/bench/bare", seconds=2)  # warm both workers up
            bare = wrk(f"{base}/bench/bare")
            pages = {
                size: wrk(f"{base}/orders/", lua=lua_headers({"Cookie": cookie}))
                for size, cookie in cookies.items()
            }
            single = {
                size: wrk(f"{base}/orders/", seconds=5, connections=1, lua=lua_headers({"Cookie": cookie}))
                for size, cookie in cookies.items()
            }

    small, large = SIZES
    figures = [
        Figure(f"order_list_queries_{small}_orders", queries[small], "queries"),
        Figure(
            f"order_list_queries_{large}_orders",
            queries[large],
            "queries",
            limit=queries[small],
            ratio=round(queries[large] / queries[small], 3),
            note="must equal the count for 10 orders",
        ),
        Figure("bare_view_requests_per_second", round(bare.requests_per_second, 1), "req/s"),
        Figure("bare_view_p99", round(bare.p99_ms, 2), "ms"),
    ]
    mirror = f"a mirror of {MIRROR_ORDERS:,} orders"
    for size, result in pages.items():
        assert result.non_2xx == 0, f"{result.non_2xx} failed requests for {size} orders"
        assert single[size].non_2xx == 0, f"{single[size].non_2xx} failed requests for {size} orders"
        figures += [
            Figure(
                f"order_list_{size}_orders_ms_per_request",
                round(single[size].p50_ms, 2),
                "ms",
                note=f"median of one connection's requests in a row (wrk -c1, 5 s); {mirror}",
            ),
            Figure(
                f"order_list_{size}_orders_requests_per_second",
                round(result.requests_per_second, 1),
                "req/s",
                limit=round(bare.requests_per_second, 1),
                ratio=round(result.requests_per_second / bare.requests_per_second, 3),
                note=f"ratio to the bare view; gunicorn, 2 workers, wrk 8 connections; {mirror}",
            ),
            Figure(
                f"order_list_{size}_orders_p99",
                round(result.p99_ms, 2),
                "ms",
                limit=round(bare.p99_ms, 2),
                ratio=round(result.p99_ms / bare.p99_ms, 3),
                note=f"ratio: times the bare view's p99; {mirror}",
            ),
        ]
    return figures
