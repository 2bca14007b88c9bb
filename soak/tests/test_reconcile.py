"""The soak's verdict is not vacuous: each kind of damage it looks for is counted when it is there."""

from __future__ import annotations

import copy

from soak.reconcile import reconcile

GID = "gid://shopify/Order/1"
ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lee",
    "address1": "1 Main St",
    "city": "Toronto",
    "province_code": "ON",
    "country_code": "CA",
    "zip": "M5V 2T6",
}


def _store(**fields) -> dict:
    order = {
        "admin_graphql_api_id": GID,
        "name": "#1001",
        "cancelled_at": "2026-07-01T10:00:00+09:00",
        "fulfillment_status": None,
        "financial_status": "refunded",
        "shipping_address": ADDRESS,
        "refunds": [{"note": "Self-service request #7 by ada@example.com: other", "transactions": []}],
    }
    order.update(fields)
    return order


def _mirror(**fields) -> dict:
    row = {
        "cancelled_at": "2026-07-01T01:00:00Z",
        "fulfillment_status": "unfulfilled",
        "financial_status": "refunded",
        "shipping_address": ADDRESS,
    }
    row.update(fields)
    return row


def _request(**fields) -> dict:
    row = {
        "id": 7,
        "kind": "cancel",
        "state": "completed",
        "failure_code": "",
        "decision_message": "",
        "refund": "full",
        "refund_amount": None,
        "requested_address": None,
        "order__shopify_gid": GID,
    }
    row.update(fields)
    return row


CANCEL_OK = {
    "operation": "orderCancel",
    "outcome": "ok",
    "variables": {"orderId": GID, "staffNote": "Self-service request #7 by x"},
}


def _verdict(requests=None, mirror=None, store=None, calls=None):
    return reconcile(
        requests=requests if requests is not None else [_request()],
        mirror={GID: mirror if mirror is not None else _mirror()},
        store_orders={GID: store if store is not None else _store()},
        calls=calls if calls is not None else [CANCEL_OK],
    )


def test_a_clean_run_is_all_zero():
    verdict = _verdict()

    assert verdict.ok
    assert verdict.line == "soak: 1 requests, 0 lost, 0 duplicated, 0 mismatched"


def test_a_stuck_request_or_a_failure_without_a_reason_is_lost():
    assert len(_verdict(requests=[_request(state="pushing")]).lost) == 1
    assert len(_verdict(requests=[_request(state="failed", failure_code="")], calls=[]).lost) == 1
    assert len(_verdict(requests=[_request(state="rejected")], calls=[]).lost) == 1


def test_two_applied_cancels_or_refunds_are_a_duplicate_but_refused_ones_are_not():
    refused = {**CANCEL_OK, "outcome": "user_errors"}
    faulted = {**CANCEL_OK, "outcome": "fault:timeout"}
    assert _verdict(calls=[CANCEL_OK, refused, faulted]).duplicated == []
    assert len(_verdict(calls=[CANCEL_OK, CANCEL_OK]).duplicated) == 1
    two_refunds = _store(refunds=[*_store()["refunds"], {"note": "", "transactions": []}])
    assert len(_verdict(store=two_refunds).duplicated) == 1


def test_a_mirror_that_differs_from_the_store_is_a_mismatch():
    assert len(_verdict(mirror=_mirror(cancelled_at=None)).mismatched) == 1
    assert len(_verdict(mirror=_mirror(fulfillment_status="fulfilled")).mismatched) == 1
    assert len(_verdict(mirror=_mirror(financial_status="paid")).mismatched) == 1
    moved = copy.deepcopy(ADDRESS) | {"address1": "2 Other St"}
    assert len(_verdict(mirror=_mirror(shipping_address=moved)).mismatched) == 1


def test_a_completed_request_the_store_does_not_show_is_a_mismatch():
    not_cancelled = _store(cancelled_at=None, refunds=[])
    assert _verdict(store=not_cancelled, mirror=_mirror(cancelled_at=None)).mismatched
    partial = _request(refund="partial", refund_amount="5.00")
    store = _store(
        refunds=[
            {
                "note": "Self-service request #7: partial refund",
                "transactions": [{"kind": "refund", "status": "success", "amount": "4.00"}],
            }
        ]
    )
    assert _verdict(requests=[partial], store=store).mismatched
    address = _request(kind="address_change", refund="none", requested_address=ADDRESS | {"city": "Ottawa"})
    assert _verdict(requests=[address]).mismatched


def test_a_request_the_portal_failed_but_the_store_applied_is_a_mismatch():
    failed = _request(state="failed", failure_code="shopify_unavailable")

    assert _verdict(requests=[failed]).mismatched
    # …and request #70's refund note is not request #7's
    other = _store(refunds=[{"note": "Self-service request #70 by x", "transactions": []}])
    assert not _verdict(requests=[failed], store=other, calls=[]).mismatched
