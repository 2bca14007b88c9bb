"""`manage.py shopify_check` against the devstore: all green when connected as the portal needs, and a
clear failing line (and exit status 1) for each thing an operator must fix."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from shopify_sync.webhooks.subscriptions import TOPICS

pytestmark = pytest.mark.django_db

WEBHOOK_URL = "https://portal.example.com/shopify/webhooks/"


def connect(settings, store) -> None:
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    settings.SHOPIFY_API_BASE_URL = store.base_url
    settings.SHOPIFY_ACCESS_TOKEN = ""
    settings.SHOPIFY_CLIENT_ID = store.client_id
    settings.SHOPIFY_CLIENT_SECRET = store.client_secret


def check(*args: str) -> tuple[dict[str, str], str, CommandError | None]:
    """Run the command: each check's status by name, the whole output, and the error if it failed."""
    out = io.StringIO()
    error = None
    try:
        call_command("shopify_check", "--webhook-url", WEBHOOK_URL, *args, stdout=out, no_color=True)
    except CommandError as exc:
        error = exc
    lines = out.getvalue().splitlines()
    statuses = {line[5:20].strip(): line[:4].strip().lower() for line in lines}
    return statuses, out.getvalue(), error


@pytest.fixture
def connected(devstore, settings):
    connect(settings, devstore)
    devstore.create_order(
        email="ada@example.com",
        shipping_address={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address1": "1 Main Street",
            "city": "New York",
            "province_code": "NY",
            "country_code": "US",
            "zip": "10001",
        },
    )
    call_command("register_webhooks", "--url", WEBHOOK_URL, stdout=io.StringIO())
    return devstore


def test_a_store_connected_as_the_portal_needs_passes_every_check(connected):
    statuses, output, error = check()

    assert error is None, output
    assert statuses == {
        "token": "ok",
        "connection": "ok",
        "scopes": "ok",
        "protected data": "ok",
        "webhooks": "ok",
        "api version": "ok",
    }
    assert "Client credentials" in output and "expires in 23 h" in output
    assert connected.client_secret not in output


def test_a_missing_scope_fails_and_names_the_scope(devstore_factory, settings):
    with devstore_factory(scopes="read_orders,write_orders") as store:
        connect(settings, store)
        statuses, output, error = check()

    assert statuses["scopes"] == "fail"
    assert "missing read_all_orders, read_customers, write_order_edits, read_products" in output
    assert error is not None and error.returncode == 1 and "scopes" in str(error)


def test_protected_customer_data_withheld_by_shopify_fails_and_says_where_to_grant_it(connected):
    connected.set_protected_data([])

    statuses, output, error = check()

    assert statuses["protected data"] == "fail"
    assert "Shopify withholds address, email, name from the app" in output
    assert "protected customer data access to name, email, address" in output
    assert error is not None


def test_webhook_subscriptions_missing_or_elsewhere_fail_until_registered(devstore, settings):
    connect(settings, devstore)

    statuses, output, _ = check()
    assert statuses["webhooks"] == "fail" and "ORDERS_CREATE" in output and "register_webhooks" in output

    call_command("register_webhooks", "--url", WEBHOOK_URL, stdout=io.StringIO())
    statuses, output, error = check()
    assert error is None
    assert statuses["webhooks"] == "ok" and f"{len(TOPICS)} topics" in output


def test_a_wrong_client_secret_fails_the_token_and_skips_the_rest(devstore, settings):
    connect(settings, devstore)
    settings.SHOPIFY_CLIENT_SECRET = "wrong-secret"

    statuses, output, error = check()

    assert statuses["token"] == "fail"
    assert set(statuses.values()) == {"fail", "skip"}
    assert "wrong-secret" not in output
    assert error is not None


def test_a_shop_domain_the_token_does_not_belong_to_fails_the_connection(devstore, settings):
    connect(settings, devstore)
    settings.SHOPIFY_SHOP_DOMAIN = "another-store.myshopify.com"

    statuses, output, _ = check()

    assert statuses["connection"] == "fail"
    assert "devstore.myshopify.com's, not another-store.myshopify.com's" in output


def test_an_unknown_shop_is_refused(connected):
    with pytest.raises(CommandError, match=r"No shop nowhere\.myshopify\.com"):
        call_command("shopify_check", "--shop", "nowhere.myshopify.com", stdout=io.StringIO())


def test_an_api_version_shopify_no_longer_serves_fails_and_a_deprecated_one_warns(devstore_factory, settings):
    with devstore_factory(api_versions=["2026-01", "2026-04", "2026-07", "2026-10"]) as store:
        connect(settings, store)
        settings.SHOPIFY_API_VERSION = "2025-10"  # older than the oldest served: Shopify falls forward
        statuses, output, error = check()
        assert statuses["api version"] == "fail"
        assert "Shopify no longer serves 2025-10 and answered with 2026-01" in output
        assert error is not None

        settings.SHOPIFY_API_VERSION = "2026-07"
        store.set_deprecated_versions(["2026-07"])
        statuses, output, _ = check()
        assert statuses["api version"] == "warn"
        assert "deprecation-practices" in output


@pytest.mark.parametrize(
    ("state", "said"),
    [
        ("frozen", "the shop devstore.myshopify.com is frozen (HTTP 402 Unavailable Shop): Shopify refuses"),
        ("locked", "the shop devstore.myshopify.com is locked (HTTP 423 This store is unavailable)"),
        ("gone", "the shop devstore.myshopify.com was not found (HTTP 404 Not Found)"),
    ],
)
def test_a_shop_shopify_refuses_fails_the_connection_naming_its_state(connected, state, said):
    connected.set_shop_state(state)

    statuses, output, error = check()

    assert statuses == {
        "token": "ok",
        "connection": "fail",
        "scopes": "skip",
        "protected data": "skip",
        "webhooks": "skip",
        "api version": "skip",
    }
    assert f"FAIL connection      {said}" in output
    assert connected.shop_state()["refused"] == 1
    assert error is not None and error.returncode == 1 and "connection" in str(error)
