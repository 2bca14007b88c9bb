from __future__ import annotations

import pytest
from django.conf import settings

from portal.celery import app as celery_app


@pytest.mark.django_db
def test_it_says_ok_when_the_database_and_the_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    expected = {"database": "ok", "broker": "ok"} | ({"redis": "ok"} if settings.REDIS_URL else {})
    assert response.json() == expected


@pytest.mark.django_db
def test_it_answers_503_naming_the_broker_when_the_broker_is_down(client, monkeypatch):
    # Nothing listens on port 1: the broker is really unreachable, not simulated.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("down")


def test_it_refuses_anything_but_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.fixture
def connected(devstore, settings):
    settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = ""
    settings.SHOPIFY_CLIENT_ID = devstore.client_id
    settings.SHOPIFY_CLIENT_SECRET = devstore.client_secret
    settings.HEALTHZ_TOKEN = "monitor-token-of-this-deployment"
    return devstore


@pytest.mark.django_db
def test_deep_checks_are_refused_to_anyone_without_staff_or_the_token(client, connected):
    assert client.get("/healthz?deep=1").status_code == 403
    wrong = client.get("/healthz?deep=1", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    assert connected.tokens() == []  # nothing was asked of Shopify


@pytest.mark.django_db
def test_a_monitor_with_the_token_gets_the_shopify_checks(client, connected):
    response = client.get(
        "/healthz?deep=1", headers={"Authorization": "Bearer monitor-token-of-this-deployment"}
    )

    body = response.json()
    assert body["shopify"]["token"]["status"] == "ok"
    assert body["shopify"]["scopes"]["status"] == "ok"
    # Nothing subscribed yet at this deployment's address: a failed check makes it 503.
    assert body["shopify"]["webhooks"]["status"] == "fail"
    assert response.status_code == 503
    assert connected.client_secret not in response.content.decode()


@pytest.mark.django_db
def test_staff_get_the_shopify_checks_and_a_missing_scope_is_named(
    client, admin_user, devstore_factory, settings
):
    with devstore_factory(scopes="read_orders") as store:
        settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
        settings.SHOPIFY_API_BASE_URL = store.base_url
        settings.SHOPIFY_ACCESS_TOKEN = ""
        settings.SHOPIFY_CLIENT_ID = store.client_id
        settings.SHOPIFY_CLIENT_SECRET = store.client_secret
        client.force_login(admin_user)

        response = client.get("/healthz?deep=1")

    assert response.status_code == 503
    scopes = response.json()["shopify"]["scopes"]
    assert scopes["status"] == "fail" and "write_orders" in scopes["detail"]
