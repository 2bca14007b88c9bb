"""An item edit from the shopper's "see the new total" to the edit committed in the store, with
auto-approve and a real worker (a `celery worker` process on Redis) pushing to the devstore.

Two figures per request: the preview alone (what the shopper waits for on the page: the order's lines
and swap choices read live, then Shopify's price of the changes), and preview → committed (the preview,
the confirm, and the push: re-read, begin, stage, commit, then the refund of the difference)."""

from __future__ import annotations

import statistics
import time

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model

from bench import database
from bench.figures import Figure
from bench.submit_to_cancel import _wait, _worker
from cancellations import item_edits
from cancellations.models import Request
from cancellations.services.item_edits import item_edit_price, item_edit_submit
from devstore.testing import start_devstore
from shopify_sync import sync
from shopify_sync.models import Order
from shopify_sync.order_edits import LineChange

REQUESTS = 30
SHOPPER = "bench-editor@example.com"


def run() -> list[Figure]:
    database.fresh_database()
    with start_devstore(seed=0) as store:
        settings.SHOPIFY_API_BASE_URL = store.base_url
        settings.SHOPIFY_ACCESS_TOKEN = store.token
        settings.SHOPIFY_SHOP_DOMAIN = "devstore.myshopify.com"
        product = store.create_product(
            title="Bench tee",
            options=["Size"],
            variants=[
                {"options": [size], "price": "20.00", "inventory_quantity": 10 * REQUESTS}
                for size in ("S", "M", "L")
            ],
        )
        sizes = {v["title"]: v for v in product["variants"]}
        created = [
            store.create_order(
                email=SHOPPER,
                line_items=[
                    {"variant_id": sizes["M"]["id"], "quantity": 2},
                    {"title": "Mug", "quantity": 1, "price": "12.00"},
                ],
            )
            for _ in range(REQUESTS)
        ]
        sync.orders_sync_incremental()
        user = get_user_model().objects.create_user(username=SHOPPER, email=SHOPPER)
        EmailAddress.objects.create(user=user, email=SHOPPER, verified=True, primary=True)
        worker = _worker(store)
        try:
            preview_seconds, committed_seconds = [], []
            for index, order_ref in enumerate(created):
                order = Order.objects.get(legacy_id=order_ref["legacy_id"])
                line = order.line_items.order_by("position").first()
                assert line is not None
                # Alternate a quantity reduction and a size swap: the two edits shoppers make most.
                change = (
                    LineChange(line_item_gid=line.shopify_gid, quantity=1)
                    if index % 2 == 0
                    else LineChange(
                        line_item_gid=line.shopify_gid, quantity=2, swap_to=sizes["L"]["admin_graphql_api_id"]
                    )
                )
                started = time.perf_counter()
                priced = item_edit_price(order=order, shopper=user, changes=[change])
                preview_seconds.append(time.perf_counter() - started)
                request = item_edit_submit(
                    order=order,
                    shopper=user,
                    line_changes=[item_edits.change_as_dict(c) for c in priced.changes],
                    snapshot=priced.snapshot,
                    language="en",
                )
                _wait(
                    lambda ref=order_ref: (
                        store.order(ref["legacy_id"])["line_items"][0]["current_quantity"] != 2
                    )
                )
                committed_seconds.append(time.perf_counter() - started)
                _wait(lambda r=request: Request.objects.get(pk=r.pk).state == Request.State.COMPLETED)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        commits = [c for c in store.calls() if c["operation"] == "orderEditCommit" and c["outcome"] == "ok"]
    assert len(commits) == REQUESTS, f"{len(commits)} edits committed for {REQUESTS} requests"
    note = f"{REQUESTS} sequential edits (half reductions, half size swaps), auto-approved, one worker"
    return [
        Figure(
            "item_edit_preview_median", round(statistics.median(preview_seconds) * 1000, 1), "ms", note=note
        ),
        Figure(
            "preview_to_committed_median",
            round(statistics.median(committed_seconds) * 1000, 1),
            "ms",
            note=note,
        ),
        Figure(
            "preview_to_committed_p95",
            round(statistics.quantiles(committed_seconds, n=20)[-1] * 1000, 1),
            "ms",
            note=note,
        ),
    ]
