"""The console's pages run a constant number of queries, however many requests they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cancellations.tests.admin_support import CHANGELIST, failed_make, moderated, moderator_make, waiting_make


@pytest.fixture
def moderator(client, db):
    user = moderator_make()
    client.force_login(user)
    return user


def queries_of(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


def test_the_queue_runs_the_same_queries_for_3_or_30_requests(client, moderator, shop, policy):
    moderated(policy)
    waiting_make(shop, count=2)
    waiting_make(shop, count=1, reason_code="other", reason_text="gift for a friend")
    queries_of(client, reverse("admin:index"))  # the session's first read is not the page's
    few = queries_of(client, reverse(CHANGELIST))

    waiting_make(shop, count=20)
    waiting_make(shop, count=5, kind="address_change")
    failed_make(shop, moderator)
    failed_make(shop, moderator)
    many = queries_of(client, reverse(CHANGELIST))

    assert few == many
    assert many <= 12


def test_decision_pages_run_the_same_queries_for_1_or_20_requests(client, moderator, shop, policy):
    moderated(policy)
    (one,) = waiting_make(shop)
    twenty = waiting_make(shop, count=20)

    queries_of(client, reverse("admin:index"))  # the session's first read is not the page's
    single = queries_of(client, reverse("admin:cancellations_request_approve"), {"ids": one.pk})
    bulk = queries_of(client, reverse("admin:cancellations_request_approve"), {"ids": [r.pk for r in twenty]})

    assert single == bulk


def test_the_request_page_runs_the_same_queries_with_a_long_audit_trail(client, moderator, shop, policy):
    moderated(policy)
    short = waiting_make(shop)[0]
    long = failed_make(shop, moderator)
    # warm the per-process caches (session, content types) with a first visit
    queries_of(client, reverse("admin:cancellations_request_change", args=[short.pk]))

    assert queries_of(client, reverse("admin:cancellations_request_change", args=[short.pk])) == queries_of(
        client, reverse("admin:cancellations_request_change", args=[long.pk])
    )
