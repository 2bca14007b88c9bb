"""Bulk operations end to end, the state file across restarts, and the control API's odds and ends."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from devstore.testing import Devstore, start_devstore, wait_for

from .conftest import SHARED, TOKEN, Receiver, recording

BULK = """mutation($query: String!) { bulkOperationRunQuery(query: $query) { bulkOperation { id status type
  errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl query }
  userErrors { field message code } } }"""
POLL = """query($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode completedAt objectCount
  rootObjectCount fileSize url } } }"""
EXPORT = """{
  orders(query: "email:demo@example.com") {
    edges { node { id name email lineItems { edges { node { id title quantity } } } } }
  }
}"""


def test_bulk_export_runs_and_serves_jsonl_with_parent_ids(receiver: Receiver) -> None:
    rec = recording("bulk-operation-root-count-and-search-filters.json")
    with start_devstore(seed=60, token=TOKEN, webhook_url=receiver.url) as store:
        started = store.graphql(BULK, {"query": EXPORT})["data"]["bulkOperationRunQuery"]
        assert started["userErrors"] == []
        recorded_start = rec["run"]["interaction"]["response"]["data"]["bulkOperationRunQuery"][
            "bulkOperation"
        ]
        op = started["bulkOperation"]
        assert {k: op[k] for k in ("status", "type", "errorCode", "objectCount", "url", "completedAt")} == {
            k: recorded_start[k] for k in ("status", "type", "errorCode", "objectCount", "url", "completedAt")
        }
        again = store.graphql(BULK, {"query": EXPORT})["data"]["bulkOperationRunQuery"]
        assert again["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"

        done = wait_for(
            lambda: (
                (n := store.graphql(POLL, {"id": op["id"]})["data"]["node"])["status"] == "COMPLETED" and n
            )
        )
        current = store.graphql("{ currentBulkOperation { id status } }")["data"]["currentBulkOperation"]
        assert current == {"id": op["id"], "status": "COMPLETED"}
        assert done["url"] == f"{store.base_url}/_devstore/bulk/{op['id'].rsplit('/', 1)[1]}.jsonl"
        with urllib.request.urlopen(done["url"], timeout=10) as response:
            raw = response.read().decode()
            assert response.headers["Content-Type"] == "application/jsonl"
        assert str(len(raw.encode())) == done["fileSize"]
        assert '"gid:\\/\\/shopify\\/Order\\/' in raw  # slashes escaped like Shopify's files
        rows = [json.loads(line) for line in raw.splitlines()]
        assert len(rows) == int(done["objectCount"])
        orders = [r for r in rows if "__parentId" not in r]
        lines = [r for r in rows if "__parentId" in r]
        assert len(orders) == int(done["rootObjectCount"]) >= 1
        assert all("lineItems" not in o for o in orders)
        assert {r["__parentId"] for r in lines} <= {o["id"] for o in orders}
        assert all(r["id"].startswith("gid://shopify/LineItem/") for r in lines)
        expected = {
            o["id"]
            for o in store.graphql(
                '{ orders(first: 250, query: "email:demo@example.com") { nodes { id } } }'
            )["data"]["orders"]["nodes"]
        }
        assert {o["id"] for o in orders} == expected
        finish = wait_for(lambda: receiver.by_topic("bulk_operations/finish"))
        body = json.loads(finish[0]["body"])
        assert body["admin_graphql_api_id"] == op["id"] and body["status"] == "completed"
        assert body["type"] == "query" and body["error_code"] is None and body["completed_at"]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "devstore.json"
    store = start_devstore(token=TOKEN, state_file=state, extra_args=["--job-delay", "0.1"])
    try:
        order = store.create_order(email="keep@example.com", tags=["kept"])
        doc = (
            'mutation($id: ID!) { orderUpdate(input: {id: $id, note: "remember me"}) '
            "{ userErrors { message } } }"
        )
        store.graphql(doc, {"id": order["id"]})
        assert json.loads(state.read_text())["orders"][0]["note"] == "remember me"
        store.restart()
        read = store.graphql("query($id: ID!) { order(id: $id) { note tags email } }", {"id": order["id"]})
        assert read["data"]["order"] == {"note": "remember me", "tags": ["kept"], "email": "keep@example.com"}
        second = store.create_order()
        assert second["legacy_id"] > order["legacy_id"] and second["name"] == "#1002"
    finally:
        store.stop()


def test_control_api_reset_and_listing(devstore: Devstore) -> None:
    devstore.create_order(email="x@example.com")
    devstore.create_order(email="y@example.com")
    assert [o["email"] for o in devstore.orders(email="x@example.com")] == ["x@example.com"]
    devstore.fault("http_500", count=3)
    assert devstore.reset()["orders"] == 0
    assert devstore.orders() == [] and devstore.calls() == [] and devstore.get("/_devstore/faults") == []
    assert devstore.reset(seed=30)["orders"] == 30
    status, _ = devstore._request("GET", "/_devstore/orders/1")
    assert status == 404


def test_orders_on_hold_cannot_be_fulfilled_through_the_control_api(devstore: Devstore) -> None:
    order = devstore.create_order()
    fo = devstore.order(order["legacy_id"])["fulfillment_orders"][0]["id"]
    doc = """mutation($id: ID!) { fulfillmentOrderHold(id: $id, fulfillmentHold: {reason: INCORRECT_ADDRESS,
      handle: "portal-address-change", reasonNotes: "shopper is fixing the address", notifyMerchant: false})
      { fulfillmentHold { handle reason } fulfillmentOrder { status } userErrors { field message code } } }"""
    held = devstore.graphql(doc, {"id": f"gid://shopify/FulfillmentOrder/{fo}"})["data"][
        "fulfillmentOrderHold"
    ]
    assert held["userErrors"] == [] and held["fulfillmentOrder"]["status"] == "ON_HOLD"
    assert devstore.order(order["legacy_id"])["holds"][0]["handle"] == "portal-address-change"
    status, body = devstore._request("POST", f"/_devstore/orders/{order['legacy_id']}/fulfill", {})
    assert status == 409 and "hold" in body["error"]


def test_schema_is_a_strict_subset_of_shopifys() -> None:
    tool = SHARED / "tools" / "check_graphql.py"
    if not tool.exists():
        pytest.skip(f"Shopify's schema checker is not available ({tool} is absent)")
    package = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, str(tool), str(package)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 problems" in done.stdout


def test_concurrent_requests_each_see_whole_changes(devstore: Devstore) -> None:
    order = devstore.create_order()
    update = (
        "mutation($id: ID!, $note: String) { orderUpdate(input: {id: $id, note: $note}) "
        "{ userErrors { message } } }"
    )
    read = "query($id: ID!) { order(id: $id) { note } orders(first: 5) { nodes { id } } }"
    failures: list[object] = []

    def worker(n: int) -> None:
        for i in range(10):
            try:
                devstore.graphql(update, {"id": order["id"], "note": f"w{n}-{i}"})
                note = devstore.graphql(read, {"id": order["id"]})["data"]["order"]["note"]
                assert note.startswith("w")
            except Exception as exc:  # collected and reported below
                failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    assert [c["outcome"] for c in devstore.calls()] == ["ok"] * 60
