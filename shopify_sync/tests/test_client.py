"""The Shopify client against the devstore, a real process spoken to over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from devstore.testing import wait_for
from shopify_sync.client import ShopifyClient
from shopify_sync.errors import ShopifyAuthError, ShopifyTransientError, ShopifyUserError
from shopify_sync.types import MailingAddress


def _client(store, **options) -> ShopifyClient:
    options.setdefault("timeout", (2.0, 3.0))
    options.setdefault("backoff_base", 0.05)
    return ShopifyClient(base_url=store.base_url, access_token=store.token, api_version="2026-07", **options)


@pytest.fixture(scope="module")
def seeded_store(devstore_factory):
    """200 seeded orders behind a bucket that holds about three pages: paging must be paced to never be
    refused."""
    with devstore_factory(seed=200, bucket=300, restore_rate=500) as store:
        yield store


def test_it_lists_every_seeded_order_through_pages_without_one_refused_request(seeded_store):
    client = _client(seeded_store)

    pages = list(client.iter_order_pages(sort_key="UPDATED_AT", first=25))
    orders = [order for page in pages for order in page.orders]

    assert len(orders) == 200
    assert len({order.gid for order in orders}) == 200
    assert len(pages) == 8
    assert client.throttled_answers == 0
    assert [o.updated_at for o in orders] == sorted(o.updated_at for o in orders)


def test_a_full_page_of_orders_stays_under_shopifys_cost_cap(seeded_store):
    client = _client(seeded_store)

    page = client.orders_page(first=250)

    assert len(page.orders) == 200
    assert page.requested_cost is not None and page.requested_cost <= 1000
    assert client.bucket.status is not None and client.bucket.status.restore_rate == 500


def test_it_reads_an_order_as_typed_objects(seeded_store):
    client = _client(seeded_store)
    page = client.orders_page(first=1, query="financial_status:paid")
    summary = page.orders[0]

    order = client.order(summary.gid)

    assert order is not None and order.gid == summary.gid
    assert order.legacy_id == int(summary.gid.rsplit("/", 1)[1])
    assert isinstance(order.total_price.amount, Decimal)
    assert order.financial_status == "paid"
    assert order.line_items and all(line.title for line in order.line_items)


def test_an_order_with_more_lines_than_one_page_comes_back_whole(devstore):
    created = devstore.create_order(
        email="many@example.com",
        line_items=[{"title": f"Sock {i}", "quantity": 1, "price": "3.00"} for i in range(23)],
    )
    client = _client(devstore)

    order = client.order(created["id"])

    assert order is not None
    assert [line.title for line in order.line_items] == [f"Sock {i}" for i in range(23)]


def test_a_wrong_token_is_reported_as_an_auth_failure_without_the_token(devstore):
    client = ShopifyClient(base_url=devstore.base_url, access_token="shpat_wrong", api_version="2026-07")

    with pytest.raises(ShopifyAuthError) as caught:
        client.shop()

    assert "shpat_wrong" not in str(caught.value)
    assert "shpat_wrong" not in repr(client)


def test_server_errors_on_a_read_are_retried_until_it_succeeds(devstore):
    client = _client(devstore)
    devstore.fault("http_500", count=2)

    shop = client.shop()

    assert shop.domain
    assert client.requests_sent == 3


def test_a_timeout_on_a_read_is_retried(devstore):
    client = _client(devstore, timeout=(2.0, 1.0))
    devstore.fault("timeout", count=1)

    assert client.shop().domain
    assert client.requests_sent == 2


def test_a_read_gives_up_after_a_bounded_number_of_attempts(devstore):
    client = _client(devstore, max_attempts=3)
    devstore.fault("http_502", count=5)

    with pytest.raises(ShopifyTransientError):
        client.shop()
    assert client.requests_sent == 3


def test_a_throttled_answer_is_waited_out_and_sent_again(devstore):
    client = _client(devstore)
    devstore.fault("throttle", count=1)

    assert client.shop().domain
    assert client.throttled_answers == 1


def test_a_mutation_without_an_answer_is_never_sent_twice(devstore):
    created = devstore.create_order(
        email="once@example.com", line_items=[{"title": "Hat", "quantity": 1, "price": "9"}]
    )
    client = _client(devstore)
    devstore.fault("http_500", count=1)

    with pytest.raises(ShopifyTransientError) as caught:
        client.order_cancel(
            order_gid=created["id"], refund=None, restock=True, notify_customer=False, staff_note="test"
        )

    assert caught.value.may_have_applied
    cancels = [c for c in devstore.calls() if c["operation"] == "orderCancel"]
    assert len(cancels) == 1


def test_shopifys_refusal_comes_back_with_its_message_and_code(devstore):
    created = devstore.create_order(
        email="twice@example.com", line_items=[{"title": "Cap", "quantity": 1, "price": "5"}]
    )
    client = _client(devstore)
    client.order_cancel(
        order_gid=created["id"], refund="original", restock=True, notify_customer=False, staff_note=""
    )
    wait_for(lambda: devstore.order(created["legacy_id"])["cancelled_at"])

    with pytest.raises(ShopifyUserError) as caught:
        client.order_cancel(
            order_gid=created["id"], refund=None, restock=True, notify_customer=False, staff_note=""
        )

    assert caught.value.errors[0].message == "Cannot cancel an order that has already been canceled"
    assert caught.value.codes == {"INVALID"}


def test_a_cancel_returns_a_job_that_finishes_with_the_order_cancelled(devstore):
    created = devstore.create_order(
        email="job@example.com", line_items=[{"title": "Bag", "quantity": 1, "price": "20"}]
    )
    client = _client(devstore)

    job = client.order_cancel(
        order_gid=created["id"],
        refund="store_credit",
        restock=True,
        notify_customer=True,
        staff_note="request 1",
    )

    assert job.job_id
    wait_for(lambda: devstore.order(created["legacy_id"])["cancelled_at"])
    assert client.job_done(job.job_id)
    cancelled = client.order(created["id"])
    assert cancelled is not None and cancelled.cancelled_at is not None


def test_a_shipping_address_change_comes_back_as_shopify_kept_it(devstore):
    created = devstore.create_order(
        email="addr@example.com", line_items=[{"title": "Mug", "quantity": 1, "price": "8"}]
    )
    client = _client(devstore)
    address = MailingAddress(
        first_name="Minji",
        last_name="Kim",
        address1="123 Teheran-ro",
        city="Seoul",
        province_code="KR-11",
        country_code="KR",
        zip="06236",
        phone="+82 10-1234-5678",
    )

    kept = client.order_update_shipping_address(order_gid=created["id"], address=address)

    assert kept is not None
    assert (kept.address1, kept.city, kept.zip, kept.country_code) == (
        "123 Teheran-ro",
        "Seoul",
        "06236",
        "KR",
    )
    order = client.order(created["id"])
    assert order is not None and order.shipping_address is not None
    assert order.shipping_address.address1 == "123 Teheran-ro"
