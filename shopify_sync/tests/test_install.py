"""Installing the app on another shop (authorization code grant): the happy path against the devstore,
and every way a callback can be wrong, each refused with a 4xx page and nothing stored."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse

import pytest
from django.test import Client

from shopify_sync import encryption
from shopify_sync.connection import client_for
from shopify_sync.models import Order, Shop, ShopAccess, WebhookDelivery
from shopify_sync.services.webhooks import webhook_delivery_process
from shopify_sync.tests.conftest import queued
from shopify_sync.tests.factories import rest_order

pytestmark = pytest.mark.django_db

STORE_B = "devstore.myshopify.com"  # the devstore's own name; the configured shop is another


@pytest.fixture
def app(devstore, settings):
    settings.SHOPIFY_API_BASE_URLS = {STORE_B: devstore.base_url}
    settings.SHOPIFY_ACCESS_TOKEN = ""
    settings.SHOPIFY_CLIENT_ID = devstore.client_id
    settings.SHOPIFY_CLIENT_SECRET = devstore.client_secret
    settings.PORTAL_BASE_URL = "http://testserver"
    return devstore


def start(client: Client, shop: str = STORE_B):
    return client.get("/shopify/install", {"shop": shop})


def shopify_redirect(app, response) -> str:
    """What the merchant's browser does at Shopify: approve, and follow the redirect back."""
    assert response.status_code == 302
    target = urllib.parse.urlsplit(response["Location"])
    status, location = app.redirect_target(f"{target.path}?{target.query}")
    assert status == 302
    back = urllib.parse.urlsplit(location)
    assert back.path == "/shopify/install/callback"
    return f"{back.path}?{back.query}"


def signed(params: dict[str, str], secret: str) -> str:
    """A callback address signed as Shopify signs it (computed here, independently of the portal)."""
    message = "&".join(sorted(f"{k}={v}" for k, v in params.items()))
    params = {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}
    return "/shopify/install/callback?" + urllib.parse.urlencode(params)


def nothing_stored() -> bool:
    return not Shop.objects.filter(domain=STORE_B).exists() and not ShopAccess.objects.exists()


def test_an_install_connects_the_shop_with_an_offline_token_kept_encrypted(
    client, app, django_capture_on_commit_callbacks
):
    started = start(client)
    authorize = urllib.parse.parse_qs(urllib.parse.urlsplit(started["Location"]).query)
    assert authorize["scope"] == [
        "read_orders,write_orders,read_all_orders,read_customers,write_order_edits,read_products,"
        "write_gift_cards,write_returns,write_merchant_managed_fulfillment_orders,"
        "write_third_party_fulfillment_orders"
    ]
    assert authorize["redirect_uri"] == ["http://testserver/shopify/install/callback"]

    with django_capture_on_commit_callbacks() as callbacks:
        finished = client.get(shopify_redirect(app, started))

    assert finished.status_code == 200
    assert "The app is installed" in finished.content.decode()
    shop = Shop.objects.get(domain=STORE_B)
    access = ShopAccess.objects.get(shop=shop)
    [issued] = [t for t in app.tokens() if t["grant"] == "authorization_code"]
    assert access.grant == ShopAccess.Grant.AUTHORIZATION_CODE and access.expires_at is None
    assert encryption.decrypt(access.token_ciphertext) == issued["access_token"]
    assert issued["access_token"] not in finished.content.decode()
    assert [name for name, _ in queued(callbacks)] == [
        "shopify_sync.tasks.webhook_subscriptions_verify",
        "shopify_sync.tasks.sync_orders_incremental",
    ]
    assert client_for(shop).shop().domain == STORE_B  # the portal speaks to the shop with it
    assert [t["grant"] for t in app.tokens()] == ["authorization_code"]  # and asked for nothing else


def test_webhooks_of_an_installed_shop_go_into_its_own_mirror(client, app, post_webhook):
    client.get(shopify_redirect(app, start(client)))
    payload = rest_order(order_id=4242)

    accepted = post_webhook("orders/create", payload, shop_domain=STORE_B)
    refused = post_webhook("orders/create", rest_order(order_id=4343), shop_domain="stranger.myshopify.com")

    assert (accepted.status_code, refused.status_code) == (200, 401)
    [delivery] = WebhookDelivery.objects.all()
    assert webhook_delivery_process(delivery=delivery)
    assert Order.objects.get(legacy_id=4242).shop.domain == STORE_B


@pytest.mark.parametrize("shop", ["", "store-b.com", "https://store-b.myshopify.com", "a/b.myshopify.com"])
def test_an_address_that_is_not_a_shop_is_refused_before_anything_starts(client, app, shop):
    response = start(client, shop)

    assert response.status_code == 400
    assert "your-store.myshopify.com" in response.content.decode()
    assert "shopify_install" not in client.session


def test_a_callback_with_a_wrong_signature_is_refused(client, app):
    callback = shopify_redirect(app, start(client))
    tampered = callback.replace("code=", "code=0")

    response = client.get(tampered)

    assert response.status_code == 400 and "signature" in response.content.decode()
    assert nothing_stored()


def test_a_callback_in_another_browser_or_a_second_time_is_refused(client, app):
    callback = shopify_redirect(app, start(client))

    elsewhere = Client().get(callback)
    assert elsewhere.status_code == 400 and nothing_stored()

    assert client.get(callback).status_code == 200  # this session's state, once
    again = client.get(callback)
    assert again.status_code == 400 and "finished already" in again.content.decode()


def test_a_signed_callback_for_another_shop_than_the_one_started_is_refused(client, app):
    start(client)
    state = client.session["shopify_install"]["state"]
    callback = signed(
        {"code": "x", "shop": "other.myshopify.com", "state": state, "timestamp": str(int(time.time()))},
        app.client_secret,
    )

    assert client.get(callback).status_code == 400
    assert nothing_stored()


def test_an_old_callback_is_refused(client, app):
    start(client)
    state = client.session["shopify_install"]["state"]
    two_days_ago = str(int(time.time()) - 2 * 24 * 3600)
    callback = signed(
        {"code": "x", "shop": STORE_B, "state": state, "timestamp": two_days_ago}, app.client_secret
    )

    response = client.get(callback)

    assert response.status_code == 400 and "too old" in response.content.decode()
    assert nothing_stored()


def test_a_code_shopify_does_not_know_is_refused_with_shopifys_words(client, app):
    start(client)
    state = client.session["shopify_install"]["state"]
    callback = signed(
        {"code": "never-issued", "shop": STORE_B, "state": state, "timestamp": str(int(time.time()))},
        app.client_secret,
    )

    response = client.get(callback)

    assert response.status_code == 400
    assert "The authorization code was not found or was already used" in response.content.decode()
    assert nothing_stored()


def test_without_a_configured_app_there_is_nothing_to_install(client, settings):
    settings.SHOPIFY_CLIENT_ID = ""

    assert start(client).status_code == 404


def test_the_pages_are_in_korean_for_a_korean_browser(client, app):
    response = client.get("/shopify/install", {"shop": "nope"}, headers={"Accept-Language": "ko"})

    assert response.status_code == 400
    assert "설치" in response.content.decode()


def test_the_shops_served_are_the_configured_one_and_every_installed_one(client, app, settings):
    from shopify_sync.selectors import shops_served
    from shopify_sync.services.shops import shop_get_or_create_current, shop_mark_uninstalled

    configured = shop_get_or_create_current()
    client.get(shopify_redirect(app, start(client)))
    installed = Shop.objects.get(domain=STORE_B)
    Shop.objects.create(domain="never-installed.myshopify.com")

    assert set(shops_served()) == {configured, installed}
    shop_mark_uninstalled(shop=installed)
    assert set(shops_served()) == {configured}
