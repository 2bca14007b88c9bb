"""An agency's console: staff listed on a store see and decide that store's requests only; a store's
mirror, policy and insights stay out of another store's staff's reach. Staff listed on no store (a
one-store deployment) and superusers see every store."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cancellations.models import Request
from cancellations.services.policies import policy_get_or_create
from cancellations.tests.admin_support import CHANGELIST, moderated, moderator_make, waiting_make
from shopify_sync.tests.factories import ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_stores(shop, policy):
    other = ShopFactory(domain="store-b.myshopify.com", name="Store B")
    moderated(policy)
    moderated(policy_get_or_create(shop=other))
    (mine,) = waiting_make(shop)
    (theirs,) = waiting_make(other)
    return shop, other, mine, theirs


@pytest.fixture
def store_a_moderator(two_stores):
    shop, *_ = two_stores
    user = moderator_make()
    shop.staff.add(user)
    return user


def test_staff_of_one_store_see_only_its_requests_orders_and_policy(client, two_stores, store_a_moderator):
    *_, mine, theirs = two_stores
    client.force_login(store_a_moderator)

    queue = client.get(reverse(CHANGELIST)).content.decode()
    assert mine.order.name in queue and theirs.order.email not in queue
    assert client.get(reverse("admin:cancellations_request_change", args=[theirs.pk])).status_code == 302
    assert client.get(reverse("admin:shopify_sync_order_change", args=[theirs.order.pk])).status_code == 302
    policies = client.get(reverse("admin:cancellations_policy_changelist")).content.decode()
    assert "Store B" not in policies and "store-b.myshopify.com" not in policies


def test_staff_of_one_store_cannot_decide_another_stores_request(client, two_stores, store_a_moderator):
    *_, mine, theirs = two_stores
    client.force_login(store_a_moderator)

    client.post(
        reverse("admin:cancellations_request_approve"),
        {"ids": f"{mine.pk},{theirs.pk}", "confirm": "1", "refund": "full", "restock": "on"},
    )

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.state == Request.State.APPROVED
    assert theirs.state == Request.State.SUBMITTED


def test_staff_listed_on_no_store_and_superusers_see_every_store(client, two_stores, admin_user):
    *_, mine, theirs = two_stores
    for user in (moderator_make(), admin_user):
        client.force_login(user)
        queue = client.get(reverse(CHANGELIST)).content.decode()
        assert mine.order.name in queue and theirs.order.email in queue


def test_only_a_superuser_sets_who_is_limited_to_a_store(client, two_stores, store_a_moderator, admin_user):
    shop, *_ = two_stores
    store_a_moderator.user_permissions.add(*Permission.objects.filter(codename="change_shop"))
    client.force_login(store_a_moderator)
    page = client.get(reverse("admin:shopify_sync_shop_change", args=[shop.pk])).content.decode()
    assert 'name="portal_host"' in page and 'name="staff"' not in page

    client.force_login(admin_user)
    page = client.get(reverse("admin:shopify_sync_shop_change", args=[shop.pk])).content.decode()
    assert 'name="staff"' in page
