"""Who may decide: the "Moderators" group holds exactly what moderating needs; staff without it get 403
on every moderation action and page, and their requests stay as they were."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cancellations.models import Request
from cancellations.tests.admin_support import (
    MODERATORS,
    action_post,
    failed_make,
    moderated,
    moderator_make,
    staff_without_group_make,
    waiting_make,
)

EXPECTED_PERMISSIONS = {
    "cancellations.view_request",
    "cancellations.change_request",
    "cancellations.moderate_request",
    "cancellations.view_insights",
    "cancellations.view_policy",
    "cancellations.change_policy",
    "cancellations.view_cancelreason",
    "cancellations.change_cancelreason",
    "cancellations.view_fulfilmenthold",
    "cancellations.view_retentionoffer",
    "shopify_sync.view_order",
    "shopify_sync.view_customer",
    "shopify_sync.view_lineitem",
    "shopify_sync.view_webhookdelivery",
}


@pytest.fixture
def waiting(shop, policy):
    moderated(policy)
    return waiting_make(shop, count=2)


@pytest.fixture
def failed(shop, policy):
    return failed_make(shop, moderator_make())


@pytest.fixture
def staff(db, client):
    user = staff_without_group_make()
    client.force_login(user)
    return user


def test_the_moderators_group_holds_exactly_what_moderating_needs(db):
    group = Group.objects.get(name=MODERATORS)

    held = {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }

    assert held == EXPECTED_PERMISSIONS


@pytest.mark.parametrize("action", ["approve_selected", "reject_selected", "retry_selected"])
def test_staff_without_the_group_get_403_on_every_bulk_action(client, staff, waiting, failed, action):
    response = action_post(client, action, [*waiting, failed])

    assert response.status_code == 403
    states = set(Request.objects.filter(pk__in=[r.pk for r in waiting]).values_list("state", flat=True))
    assert states == {Request.State.SUBMITTED}
    failed.refresh_from_db()
    assert failed.state == Request.State.FAILED


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("approve", "get", {}),
        ("approve", "post", {"confirm": "1", "refund": "full", "restock": "on"}),
        ("reject", "get", {}),
        ("reject", "post", {"confirm": "1", "message": "No."}),
        ("retry", "post", {}),
    ],
)
def test_staff_without_the_group_get_403_on_every_moderation_page(
    client, staff, waiting, failed, name, method, data
):
    url = reverse(f"admin:cancellations_request_{name}")
    ids = [r.pk for r in (*waiting, failed)]

    response = getattr(client, method)(url, {"ids": ids, **data})

    assert response.status_code == 403
    assert Request.objects.filter(pk__in=[r.pk for r in waiting], state=Request.State.SUBMITTED).count() == 2
    assert Request.objects.get(pk=failed.pk).state == Request.State.FAILED


@pytest.mark.parametrize("name", ["cancellations_insights", "cancellations_insights_csv"])
def test_staff_without_the_insights_permission_get_403_on_insights(client, staff, name):
    assert client.get(reverse(f"admin:{name}")).status_code == 403


def test_staff_without_the_group_see_the_queue_without_decision_actions_or_buttons(client, staff, waiting):
    changelist = client.get(reverse("admin:cancellations_request_changelist"))
    page = client.get(reverse("admin:cancellations_request_change", args=[waiting[0].pk]))

    assert changelist.status_code == 200 and page.status_code == 200
    assert b"approve_selected" not in changelist.content and b"retry_selected" not in changelist.content
    assert reverse("admin:cancellations_request_approve").encode() not in page.content


def test_a_moderator_reaches_every_moderation_page(client, waiting, failed):
    client.force_login(moderator_make())
    ids = [r.pk for r in waiting]

    assert client.get(reverse("admin:cancellations_request_approve"), {"ids": ids}).status_code == 200
    assert client.get(reverse("admin:cancellations_request_reject"), {"ids": ids}).status_code == 200
    assert client.get(reverse("admin:cancellations_insights")).status_code == 200
    changelist = client.get(reverse("admin:cancellations_request_changelist"))
    assert b"approve_selected" in changelist.content
    retried = client.post(reverse("admin:cancellations_request_retry"), {"ids": [failed.pk]})
    assert retried.status_code == 302
    assert Request.objects.get(pk=failed.pk).state == Request.State.APPROVED


def test_shoppers_are_sent_to_the_admin_login(client, shopper, waiting):
    client.force_login(shopper)

    response = client.get(reverse("admin:cancellations_request_approve"), {"ids": [waiting[0].pk]})

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
