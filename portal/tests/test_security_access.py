"""Who may reach what: signed-out visitors, shoppers in /admin/, staff without the moderator group.

Another shopper's order is covered in `test_ownership.py` (404 on every order URL and method, unverified
addresses, the owner's 405s); this module covers the doors around it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from cancellations.models import Request
from cancellations.services.requests import request_submit
from portal.tests.conftest import make_order

pytestmark = pytest.mark.django_db

METHODS = ["get", "head", "post", "put", "patch", "delete", "options"]
ORDER_URLS = ["orders:detail", "orders:cancel", "orders:address"]
PLAIN_URLS = ["orders:list", "account"]


@pytest.fixture
def submitted(shop, policy, shopper) -> Request:
    """A cancel request waiting for a merchant (the policy moderates cancels)."""
    policy.auto_approve_cancels = False
    policy.save()
    order = make_order(shop, "ada@example.com")
    return request_submit(
        order=order, shopper=shopper, kind=Request.Kind.CANCEL, reason_code="changed_my_mind"
    )


def _staff(username: str, *, permissions: tuple[str, ...] = (), group: str | None = None):
    user = get_user_model().objects.create_user(username=username, password="not-a-secret-1", is_staff=True)
    for codename in permissions:
        app_label, code = codename.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=code))
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def viewer():
    """Staff who may look at requests but is not a moderator."""
    return _staff("viewer", permissions=("cancellations.view_request", "shopify_sync.view_order"))


@pytest.fixture
def moderator():
    return _staff("moderator", group="Moderators")


# -- signed-out visitors -------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ORDER_URLS)
@pytest.mark.parametrize("method", METHODS)
def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_order_url(client, order, url_name, method):
    response = getattr(client, method)(reverse(url_name, args=[order.legacy_id]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_login_code"))
    assert not Request.objects.exists()


@pytest.mark.parametrize("url_name", PLAIN_URLS)
@pytest.mark.parametrize("method", METHODS)
def test_a_signed_out_visitor_is_sent_to_sign_in_from_the_list_and_the_account(
    client, order, url_name, method
):
    response = getattr(client, method)(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_login_code"))


@pytest.mark.parametrize("url_name", PLAIN_URLS)
def test_the_list_and_the_account_take_only_reads(client, shopper, url_name):
    client.force_login(shopper)

    assert client.post(reverse(url_name)).status_code == 405
    assert client.delete(reverse(url_name)).status_code == 405


# -- the merchant console ------------------------------------------------------------------------------


def _admin_urls(request: Request) -> list[str]:
    return [
        reverse("admin:index"),
        reverse("admin:cancellations_request_changelist"),
        reverse("admin:cancellations_request_change", args=[request.pk]),
        reverse("admin:cancellations_request_approve") + f"?ids={request.pk}",
        reverse("admin:cancellations_request_reject") + f"?ids={request.pk}",
        reverse("admin:cancellations_request_retry"),
        reverse("admin:cancellations_insights"),
        reverse("admin:cancellations_policy_changelist"),
        reverse("admin:shopify_sync_order_changelist"),
        reverse("admin:auth_user_changelist"),
    ]


@pytest.mark.parametrize("who", ["anonymous", "shopper"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_admin_sends_anyone_but_staff_to_its_sign_in(client, submitted, shopper, who, method):
    if who == "shopper":
        client.force_login(shopper)
    for url in _admin_urls(submitted):
        response = getattr(client, method)(url, {"confirm": "1", "ids": submitted.pk, "message": "no"})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    submitted.refresh_from_db()
    assert submitted.state == Request.State.SUBMITTED


@pytest.mark.parametrize("page", ["approve", "reject"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_without_the_moderator_group_gets_403_on_every_decision_page(
    client, submitted, viewer, page, method
):
    client.force_login(viewer)
    url = reverse(f"admin:cancellations_request_{page}")
    data = {"ids": str(submitted.pk), "confirm": "1", "refund": "full", "message": "No."}

    response = getattr(client, method)(url, data)

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.state == Request.State.SUBMITTED


def test_staff_without_the_moderator_group_cannot_retry(client, submitted, viewer):
    Request.objects.filter(pk=submitted.pk).update(state=Request.State.FAILED, failure_code="shipped")
    client.force_login(viewer)

    response = client.post(reverse("admin:cancellations_request_retry"), {"ids": str(submitted.pk)})

    assert response.status_code == 403
    assert Request.objects.get(pk=submitted.pk).state == Request.State.FAILED


@pytest.mark.parametrize("action", ["approve_selected", "reject_selected", "retry_selected"])
def test_staff_without_the_moderator_group_gets_403_on_the_changelist_actions(
    client, submitted, viewer, action
):
    client.force_login(viewer)
    changelist = reverse("admin:cancellations_request_changelist")
    assert client.get(changelist).status_code == 200  # they may look

    response = client.post(
        changelist, {"action": action, "_selected_action": [submitted.pk], "confirm": "1", "message": "No."}
    )

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.state == Request.State.SUBMITTED


def test_staff_without_the_insights_permission_gets_403(client, viewer):
    client.force_login(viewer)

    assert client.get(reverse("admin:cancellations_insights")).status_code == 403
    assert client.get(reverse("admin:cancellations_insights_csv")).status_code == 403


def test_staff_with_no_permission_at_all_cannot_see_requests(client, submitted):
    client.force_login(_staff("bare"))

    assert client.get(reverse("admin:cancellations_request_changelist")).status_code == 403
    assert client.get(reverse("admin:cancellations_request_change", args=[submitted.pk])).status_code == 403


def test_a_moderator_reaches_the_same_pages(client, submitted, moderator):
    """The 403s above come from the missing permission, not from a broken page."""
    client.force_login(moderator)

    for page in ("approve", "reject"):
        url = reverse(f"admin:cancellations_request_{page}") + f"?ids={submitted.pk}"
        assert client.get(url).status_code == 200
    assert client.get(reverse("admin:cancellations_insights")).status_code == 200


def test_a_moderator_cannot_edit_a_request_by_hand(client, submitted, moderator):
    client.force_login(moderator)
    url = reverse("admin:cancellations_request_change", args=[submitted.pk])

    client.post(url, {"state": Request.State.COMPLETED, "refund": "full"})

    submitted.refresh_from_db()
    assert submitted.state == Request.State.SUBMITTED
