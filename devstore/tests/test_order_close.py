"""Archiving: orderClose and orderOpen, and the shop's auto-archive setting that decides whether a cancel
closes the order by itself. (The recorded orderClose is checked in test_conformance.py.)"""

from __future__ import annotations

import json

from devstore.testing import Devstore, start_devstore, wait_for

from .conftest import TOKEN, Receiver

CLOSE = """mutation OrderClose($input: OrderCloseInput!) {
  orderClose(input: $input) { order { id closed closedAt updatedAt } userErrors { field message } } }"""
OPEN = """mutation OrderOpen($input: OrderOpenInput!) {
  orderOpen(input: $input) { order { id closed closedAt updatedAt } userErrors { field message } } }"""
READ = "query($id: ID!) { order(id: $id) { closed closedAt cancelledAt } }"


def test_closing_a_closed_order_changes_nothing(devstore: Devstore) -> None:
    order = devstore.create_order()
    closed = devstore.graphql(CLOSE, {"input": {"id": order["id"]}})["data"]["orderClose"]
    assert closed["userErrors"] == [] and closed["order"]["closed"] is True and closed["order"]["closedAt"]
    again = devstore.graphql(CLOSE, {"input": {"id": order["id"]}})["data"]["orderClose"]
    assert (
        again == closed
    )  # same closedAt and updatedAt, no error (a public live capture, actions.close_order)
    opened = devstore.graphql(OPEN, {"input": {"id": order["id"]}})["data"]["orderOpen"]
    assert opened["userErrors"] == []
    assert (opened["order"]["closed"], opened["order"]["closedAt"]) == (False, None)
    assert devstore.graphql(OPEN, {"input": {"id": order["id"]}})["data"]["orderOpen"] == opened
    assert devstore.order(order["legacy_id"])["closed_at"] is None


def test_an_unknown_order_cannot_be_closed(devstore: Devstore) -> None:
    got = devstore.graphql(CLOSE, {"input": {"id": "gid://shopify/Order/1"}})["data"]["orderClose"]
    assert got == {"order": None, "userErrors": [{"field": ["id"], "message": "Order does not exist"}]}


def test_a_cancel_closes_the_order_while_the_shop_auto_archives(devstore: Devstore) -> None:
    assert devstore.settings() == {"auto_archive": True}
    order = devstore.create_order()
    devstore.cancel(order["legacy_id"])
    after = devstore.graphql(READ, {"id": order["id"]})["data"]["order"]
    assert after["closed"] is True and after["closedAt"] == after["cancelledAt"]


def test_without_auto_archive_a_cancel_leaves_the_order_open_until_closed(devstore: Devstore) -> None:
    assert devstore.set_auto_archive(False) is False
    order = devstore.create_order()
    doc = """mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, restock: false) {
      job { id } orderCancelUserErrors { message } } }"""
    job = devstore.graphql(doc, {"id": order["id"]})["data"]["orderCancel"]["job"]
    wait_for(
        lambda: devstore.graphql("query($id: ID!) { job(id: $id) { done } }", job)["data"]["job"]["done"]
    )
    cancelled = devstore.graphql(READ, {"id": order["id"]})["data"]["order"]
    assert cancelled["cancelledAt"] and cancelled["closed"] is False and cancelled["closedAt"] is None
    assert devstore.order(order["legacy_id"])["closed_at"] is None
    closed = devstore.graphql(CLOSE, {"input": {"id": order["id"]}})["data"]["orderClose"]
    assert closed["userErrors"] == [] and closed["order"]["closed"] is True
    # A reset restores the startup setting.
    devstore.reset()
    assert devstore.settings() == {"auto_archive": True}


def test_settings_refuse_anything_but_a_boolean(devstore: Devstore) -> None:
    status, body = devstore._request("POST", "/_devstore/settings", {"auto_archive": "no"})
    assert status == 400 and "auto_archive" in body["error"]
    assert devstore.settings() == {"auto_archive": True}


def test_the_no_auto_archive_option_starts_the_shop_without_it(receiver: Receiver) -> None:
    with start_devstore(token=TOKEN, auto_archive=False, webhook_url=receiver.url) as store:
        assert store.settings() == {"auto_archive": False}
        order = store.create_order()
        store.cancel(order["legacy_id"])
        assert store.order(order["legacy_id"])["closed_at"] is None
        store.graphql(CLOSE, {"input": {"id": order["id"]}})
        updates = wait_for(
            lambda: [
                json.loads(r["body"])
                for r in receiver.by_topic("orders/updated")
                if json.loads(r["body"])["closed_at"] is not None
            ]
        )
        assert updates[0]["id"] == order["legacy_id"]
        store.reset()
        assert store.settings() == {"auto_archive": False}  # the startup setting, not Shopify's default
