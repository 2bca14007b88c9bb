"""An order whose fulfilment the store has started (a fulfilment order in progress in the mirror) offers the
shopper no changes, and says why; the same order once the fulfilment order is open again offers them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from shopify_sync.models import FulfillmentOrder
from shopify_sync.tests.factories import FulfillmentOrderFactory

pytestmark = pytest.mark.django_db

PREPARING = "started preparing this order"


def test_an_order_being_prepared_offers_no_changes(client, order, shopper):
    row = FulfillmentOrderFactory(order=order, status=FulfillmentOrder.Status.IN_PROGRESS)
    client.force_login(shopper)

    listed = client.get(reverse("orders:list")).content.decode()
    detail = client.get(reverse("orders:detail", args=[order.legacy_id])).content.decode()
    cancel_page = client.get(reverse("orders:cancel", args=[order.legacy_id])).content.decode()

    assert PREPARING in listed and PREPARING in detail and PREPARING in cancel_page
    for page in (listed, detail):
        assert reverse("orders:cancel", args=[order.legacy_id]) not in page
        assert reverse("orders:address", args=[order.legacy_id]) not in page
    assert 'name="confirm"' not in cancel_page
    posted = client.post(
        reverse("orders:cancel", args=[order.legacy_id]), {"reason": "changed_my_mind", "confirm": "on"}
    )
    assert PREPARING in posted.content.decode()
    assert not order.cancellation_requests.exists()

    FulfillmentOrder.objects.filter(pk=row.pk).update(status="open", source_updated_at=timezone.now())
    listed = client.get(reverse("orders:list")).content.decode()
    assert reverse("orders:cancel", args=[order.legacy_id]) in listed
