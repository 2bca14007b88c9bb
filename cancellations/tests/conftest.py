"""Fixtures of the domain's tests: a shop with its policy, shoppers and merchants, orders they own, and a
devstore standing in for Shopify (one process per test module)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from cancellations.models import Policy, Request
from cancellations.services import policy_get_or_create
from cancellations.tests.admin_support import moderated as moderate_policy
from cancellations.tests.factories import ADDRESS, MerchantFactory, OrderFactory, ShopFactory, ShopperFactory
from shopify_sync.client import ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.models import Order, Shop
from shopify_sync.services.mirror import orders_upsert

SHOP_DOMAIN = "cancellations-test.myshopify.com"


@pytest.fixture(autouse=True)
def _shop_settings(settings):
    settings.SHOPIFY_SHOP_DOMAIN = SHOP_DOMAIN
    settings.MERCHANT_NOTIFY_EMAILS = ["staff@store.example"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The push's waits, shortened: a storm of failures finishes in seconds.
    settings.CANCELLATIONS_PUSH_RETRY_BASE_SECONDS = 0.05
    settings.CANCELLATIONS_PUSH_SETTLE_SECONDS = 1.0
    settings.CANCELLATIONS_PUSH_VERIFY_SECONDS = 0.2
    settings.CANCELLATIONS_JOB_POLL_INTERVAL_SECONDS = 0.1
    return settings


@pytest.fixture
def shop(db) -> Shop:
    return ShopFactory(domain=SHOP_DOMAIN, name="Demo store")


@pytest.fixture
def policy(shop) -> Policy:
    return policy_get_or_create(shop=shop)


@pytest.fixture
def moderated(policy) -> Policy:
    """The shop's policy with auto-approval off: every request waits for a moderator."""
    return moderate_policy(policy)


@pytest.fixture
def shopper(db):
    return ShopperFactory()


@pytest.fixture
def merchant(db):
    """Staff with `moderate_request`, which deciding on requests needs. Given directly, and made if it is
    missing: the Moderators group comes from a data migration and a transactional test's flush removes it
    (and the permission rows with it, until a later post_migrate)."""
    ContentType.objects.clear_cache()  # content types get new ids after a flush
    permission, _ = Permission.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(Request),
        codename="moderate_request",
        defaults={"name": "Can approve, reject and retry requests"},
    )
    user = MerchantFactory()
    user.user_permissions.add(permission)
    return user


@pytest.fixture
def owned_order(shop, shopper):
    """Build an order the shopper owns, placed `age` ago (10 minutes by default)."""

    def build(*, age: timedelta = timedelta(minutes=10), now: datetime | None = None, **fields: Any) -> Order:
        placed = (now or timezone.now()) - age
        fields.setdefault("customer", None)
        fields.setdefault("email", shopper.email)
        return OrderFactory(
            shop=shop,
            processed_at=placed,
            created_at_shopify=placed,
            updated_at_shopify=placed,
            shipping_address=dict(ADDRESS),
            **fields,
        )

    return build


# -- the devstore ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def devstore() -> Iterator[Any]:
    from devstore.testing import start_devstore

    # Cancel jobs finish at the next request (deterministic under the virtual clock of test_push.py) and
    # a timeout fault holds the connection one second, not ten.
    store = start_devstore(extra_args=["--job-delay", "0", "--fault-timeout-seconds", "1"])
    try:
        yield store
    finally:
        store.stop()


@pytest.fixture
def shopify(devstore, settings):
    """The devstore as this test's Shopify: settings point at it, its state and faults start empty. The
    portal connects as a Dev Dashboard app does, with client credentials (tokens asked for and renewed)."""
    devstore.reset()
    settings.SHOPIFY_API_BASE_URL = devstore.base_url
    settings.SHOPIFY_ACCESS_TOKEN = ""
    settings.SHOPIFY_CLIENT_ID = devstore.client_id
    settings.SHOPIFY_CLIENT_SECRET = devstore.client_secret
    return devstore


def fast_client() -> ShopifyClient:
    """The real client with short backoffs, so tests spend no time sleeping between query retries."""
    return client_for(backoff_base=0.01, backoff_cap=0.05, timeout=(2.0, 5.0))


@pytest.fixture
def store_order(shopify, shop, shopper):
    """Create an order in the devstore (the shopper's by default) and mirror it, as sync would."""

    def create(**fields: Any) -> Order:
        fields.setdefault("email", shopper.email)
        fields.setdefault("customer_name", "Ada Lovelace")
        fields.setdefault("line_items", [{"title": "Mug", "quantity": 2, "price": "15.00"}])
        fields.setdefault("shipping_address", dict(ADDRESS))
        created = shopify.create_order(**fields)
        data = fast_client().order(created["id"])
        assert data is not None  # the devstore has just created it
        orders_upsert(shop=shop, orders=[data])
        return Order.objects.get(shop=shop, shopify_gid=created["id"])

    return create


def mutations(devstore, operation: str, order: Order | None = None, outcome: str | None = "ok") -> list[dict]:
    """The mutations the devstore received, by operation (and order, and outcome: None for any)."""
    found = []
    for call in devstore.calls():
        if call["operation"] != operation or (outcome is not None and call["outcome"] != outcome):
            continue
        variables = call["variables"]
        target = variables.get("orderId") or (variables.get("input") or {}).get("orderId")
        target = target or (variables.get("input") or {}).get("id")
        if order is None or target == order.shopify_gid:
            found.append(call)
    return found


@pytest.fixture(autouse=True)
def _eager_celery():
    """Queued tasks run in-process (when a test runs the on-commit callbacks); never on a shared broker.
    The real worker is exercised in test_worker.py."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
