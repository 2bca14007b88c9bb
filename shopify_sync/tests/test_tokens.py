"""Access tokens as a Dev Dashboard app gets them: client credentials from the devstore, stored encrypted,
renewed before they expire and once on a 401, one renewal at a time across processes."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from shopify_sync import encryption
from shopify_sync.connection import client_for
from shopify_sync.errors import ShopifyAuthError
from shopify_sync.models import Shop, ShopAccess
from shopify_sync.tests.conftest import SHOP_DOMAIN
from shopify_sync.tokens import shop_token, shop_token_renew

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_store(devstore, settings):
    """The devstore as the shop of a Dev Dashboard app: client id and secret, no static token."""
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = ""
    settings.SHOPIFY_CLIENT_ID = devstore.client_id
    settings.SHOPIFY_CLIENT_SECRET = devstore.client_secret
    settings.SHOPIFY_TOKEN_RENEW_BEFORE_SECONDS = 600
    return devstore


@pytest.fixture
def shop(db) -> Shop:
    return Shop.objects.create(domain=SHOP_DOMAIN)


def _issued(store) -> list[str]:
    return [t["access_token"] for t in store.tokens() if t["grant"] == "client_credentials"]


def test_the_first_call_gets_a_token_by_client_credentials_and_keeps_it_encrypted(app_store, shop):
    assert client_for(shop).shop().name

    [token] = _issued(app_store)
    access = ShopAccess.objects.get(shop=shop)
    assert access.grant == ShopAccess.Grant.CLIENT_CREDENTIALS
    assert token not in access.token_ciphertext
    assert encryption.decrypt(access.token_ciphertext) == token
    assert "read_orders" in access.scopes and "write_orders" in access.scopes
    assert access.expires_at is not None
    assert timedelta(hours=23) < access.expires_at - timezone.now() <= timedelta(hours=24)
    assert access.renewals == 1 and access.last_error == ""

    client_for(shop).shop()  # another client, another process: the stored token, no new request
    assert _issued(app_store) == [token]


def test_a_token_about_to_expire_is_renewed_before_it_is_used(app_store, shop):
    first = shop_token(shop)
    assert first.expires_at is not None

    still_fresh = shop_token(shop, now=first.expires_at - timedelta(seconds=601))
    nearly_gone = shop_token(shop, now=first.expires_at - timedelta(seconds=599))

    assert still_fresh.value == first.value
    assert nearly_gone.value != first.value
    assert len(_issued(app_store)) == 2
    assert ShopAccess.objects.get(shop=shop).renewals == 2


def test_a_token_shopify_ends_early_is_renewed_once_and_the_call_goes_through(app_store, shop):
    client = client_for(shop)
    created = app_store.create_order(email="renew@example.com")
    client.shop()
    assert app_store.expire_tokens() == 1

    order = client.order(created["id"])  # a 401, a renewal, the same query again

    assert order is not None and order.email == "renew@example.com"
    assert len(_issued(app_store)) == 2
    assert ShopAccess.objects.get(shop=shop).renewals == 2


def test_a_mutation_refused_with_401_is_sent_again_with_the_new_token_and_applied_once(app_store, shop):
    from shopify_sync.addresses import MailingAddress

    created = app_store.create_order(email="move@example.com")
    client = client_for(shop)
    client.shop()
    app_store.expire_tokens()
    new_address = MailingAddress.from_dict(
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address1": "1 New Street",
            "city": "New York",
            "province_code": "NY",
            "country_code": "US",
            "zip": "10001",
        }
    )

    kept = client.order_update_shipping_address(order_gid=created["id"], address=new_address)

    assert kept is not None and kept.address1 == "1 New Street"
    updates = [c for c in app_store.calls() if c["operation"] == "orderUpdate"]
    assert [c["outcome"] for c in updates] == ["ok"]  # the refused send never reached the resolver


def test_a_wrong_client_secret_fails_clearly_and_is_shown_on_the_shop(app_store, shop, settings):
    settings.SHOPIFY_CLIENT_SECRET = "not-the-secret"

    with pytest.raises(ShopifyAuthError) as refused:
        client_for(shop).shop()

    assert "Shopify refused the token request (HTTP 400)" in str(refused.value)
    assert "not-the-secret" not in str(refused.value)
    assert "refused the token request" in ShopAccess.objects.get(shop=shop).last_error
    assert _issued(app_store) == []


def test_without_any_credentials_the_error_says_what_to_configure(app_store, shop, settings):
    settings.SHOPIFY_CLIENT_ID = settings.SHOPIFY_CLIENT_SECRET = ""

    with pytest.raises(ShopifyAuthError, match="SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET"):
        client_for(shop).shop()


def test_a_legacy_static_token_is_used_as_it_is_and_never_stored(devstore, shop, settings):
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = devstore.token
    settings.SHOPIFY_CLIENT_ID = settings.SHOPIFY_CLIENT_SECRET = ""

    assert client_for(shop).shop().name

    assert not ShopAccess.objects.exists()
    assert devstore.tokens() == []


@pytest.mark.django_db(transaction=True)
def test_two_processes_renewing_at_once_ask_shopify_once(app_store):
    shop = Shop.objects.create(domain=SHOP_DOMAIN)
    refused = shop_token(shop).value
    app_store.expire_tokens()
    start = threading.Barrier(4)
    renewed: list[str] = []

    def renew() -> None:
        try:
            start.wait()
            renewed.append(shop_token_renew(Shop.objects.get(pk=shop.pk), rejected=refused).value)
        finally:
            connection.close()

    threads = [threading.Thread(target=renew) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(renewed) == 4 and len(set(renewed)) == 1
    assert len(_issued(app_store)) == 2  # the first token, and one renewal for all four
    assert ShopAccess.objects.get(shop=shop).renewals == 2


def test_rotating_the_encryption_key_keeps_every_token_readable(app_store, shop, settings, capsys):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PORTAL_ENCRYPTION_KEYS = [old_key]
    token = shop_token(shop).value
    made_with_old = ShopAccess.objects.get(shop=shop).token_ciphertext

    settings.PORTAL_ENCRYPTION_KEYS = [new_key, old_key]
    assert shop_token(shop).value == token  # readable while both keys are configured
    call_command("encryption_rotate")
    assert "1 stored secrets re-encrypted" in capsys.readouterr().out

    settings.PORTAL_ENCRYPTION_KEYS = [new_key]
    access = ShopAccess.objects.get(shop=shop)
    assert access.token_ciphertext != made_with_old
    assert encryption.decrypt(access.token_ciphertext) == token
    assert shop_token(shop).value == token
    assert len(_issued(app_store)) == 1


def test_a_token_no_configured_key_opens_is_replaced_not_used(app_store, shop, settings):
    settings.PORTAL_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    first = shop_token(shop).value
    settings.PORTAL_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key lost

    assert shop_token(shop).value != first
    assert len(_issued(app_store)) == 2


def test_the_shop_admin_shows_how_the_portal_signs_in_but_never_the_token(app_store, shop, admin_client):
    token = shop_token(shop).value
    ciphertext = ShopAccess.objects.get(shop=shop).token_ciphertext

    page = admin_client.get(f"/admin/shopify_sync/shop/{shop.pk}/change/").content.decode()

    assert "Client credentials" in page and "read_orders" in page
    assert token not in page and ciphertext not in page


@pytest.mark.slow  # a devstore seeded with two pages of orders takes seconds to start
def test_a_token_ending_in_the_middle_of_a_sync_is_renewed_and_the_sync_completes(devstore_factory, settings):
    from shopify_sync.sync import orders_sync_incremental

    with devstore_factory(seed=260) as store:
        settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
        settings.SHOPIFY_API_BASE_URL = store.base_url
        settings.SHOPIFY_ACCESS_TOKEN = ""
        settings.SHOPIFY_CLIENT_ID = store.client_id
        settings.SHOPIFY_CLIENT_SECRET = store.client_secret
        shop = Shop.objects.create(domain="devstore.myshopify.com")
        ended: list[int] = []

        result = orders_sync_incremental(shop=shop, on_page=lambda _: ended.append(store.expire_tokens()))

        assert result.orders == 260 and result.pages == 2
        assert ended == [1, 1]  # the token ended after each page, and the next page went through anyway
        assert len(_issued(store)) == 2
        shop.refresh_from_db()
        assert shop.last_sync_error == ""
