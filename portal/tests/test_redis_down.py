"""With Redis down the shopper's side keeps working: sign-in, orders, requests; mailing a lookup code
fails closed with a message; /healthz says "redis: down" at once. (The webhook intake's fallback to the
database is in shopify_sync/tests/test_webhook_intake.py.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cancellations.models import Request
from portal.tests.conftest import make_order

pytestmark = pytest.mark.django_db

NOTHING_LISTENS = "redis://127.0.0.1:9/0"  # port 9 (discard): connection refused at once


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = NOTHING_LISTENS
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": NOTHING_LISTENS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def test_a_shopper_signs_in_sees_orders_and_cancels(client, shop, policy, shopper, redis_down, mailoutbox):
    response = client.post(reverse("account_request_login_code"), {"email": shopper.email})
    assert response.status_code == 302 and len(mailoutbox) == 1  # allauth's limits fail open
    client.force_login(shopper)
    order = make_order(shop, shopper.email)
    assert client.get(reverse("orders:list")).status_code == 200
    response = client.post(
        reverse("orders:cancel", args=[order.legacy_id]), {"reason": "changed_my_mind", "confirm": "on"}
    )
    assert response.status_code == 302
    assert Request.objects.filter(order=order).exists()


def test_lookup_codes_are_not_mailed_without_the_counters(
    client, shop, policy, shopper, redis_down, mailoutbox
):
    order = make_order(shop, shopper.email)
    response = client.post(reverse("lookup"), {"order_number": order.name, "email": shopper.email})
    assert response.status_code == 503
    assert "try again in a few minutes" in response.content.decode()
    assert mailoutbox == []


def test_healthz_says_redis_is_down(client, redis_down):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["redis"].startswith("down") and response.json()["broker"] == "down (redis)"
