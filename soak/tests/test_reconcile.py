"""The soak's verdict is not vacuous: each kind of damage it looks for is counted when it is there."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from soak.reconcile import HOLD_HANDLE, reconcile, released_by

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


# -- item edits: two M tees and a gift wrap; the shopper takes one tee off, or swaps the tees for S ------

TEE, WRAP, ADDED = "gid://shopify/LineItem/11", "gid://shopify/LineItem/12", "gid://shopify/LineItem/13"
SIZE_M, SIZE_S = 501, 502
PREVIEW_LINES = [
    {"gid": TEE, "current_quantity": 2, "unfulfilled_quantity": 2, "variant_gid": f"v/{SIZE_M}"},
    {"gid": WRAP, "current_quantity": 1, "unfulfilled_quantity": 1, "variant_gid": None},
]
REDUCE = [{"line_item_gid": TEE, "quantity": 1, "swap_to": None}]
SWAP = [{"line_item_gid": TEE, "quantity": 2, "swap_to": f"gid://shopify/ProductVariant/{SIZE_S}"}]


def _line(gid: str, quantity: int, variant: int | None = None) -> dict:
    return {"admin_graphql_api_id": gid, "current_quantity": quantity, "variant_id": variant}


def _edit_store(lines: list[dict], refunds: list[dict] | None = None) -> dict:
    return _store(
        cancelled_at=None,
        financial_status="partially_refunded" if refunds else "paid",
        line_items=lines,
        refunds=refunds or [],
    )


def _edit_refund(amount: str, request_id: int = 7) -> dict:
    return {
        "note": f"Self-service request #{request_id}: partial refund",
        "transactions": [{"kind": "refund", "status": "success", "amount": amount}],
    }


def _edit_request(changes=REDUCE, **fields) -> dict:
    return (
        _request(
            kind="item_edit",
            refund="partial",
            refund_amount="10.00",
            line_changes=changes,
            edit_preview={"outstanding": "-10.00", "lines": PREVIEW_LINES},
            planned_refund="10.00",
        )
        | fields
    )


def _commit(request_id: int = 7) -> dict:
    return {
        "operation": "orderEditCommit",
        "outcome": "ok",
        "variables": {
            "id": "gid://shopify/CalculatedOrder/3",
            "staffNote": f"Self-service request #{request_id} by ada@example.com: items changed",
        },
    }


REDUCED = [_line(TEE, 1, SIZE_M), _line(WRAP, 1)]
UNCHANGED = [_line(TEE, 2, SIZE_M), _line(WRAP, 1)]


def _edit_verdict(request: dict, store: dict, calls: list[dict], mirror_lines: dict | None = None):
    lines = {line["admin_graphql_api_id"]: line["current_quantity"] for line in store["line_items"]}
    mirror = _mirror(
        cancelled_at=None,
        financial_status=store["financial_status"],
        lines=mirror_lines if mirror_lines is not None else lines,
    )
    return _verdict(requests=[request], mirror=mirror, store=store, calls=calls)


def test_a_completed_item_edit_the_store_shows_once_is_all_zero():
    reduced = _edit_verdict(_edit_request(), _edit_store(REDUCED, [_edit_refund("10.00")]), [_commit()])
    swapped = _edit_verdict(
        _edit_request(SWAP, refund="none", refund_amount=None, planned_refund="0.00"),
        _edit_store([_line(TEE, 0, SIZE_M), _line(WRAP, 1), _line(ADDED, 2, SIZE_S)]),
        [_commit(), {**_commit(), "outcome": "fault:timeout"}],
    )

    assert reduced.ok, reduced.mismatched
    assert swapped.ok, swapped.mismatched
    assert reduced.states == Counter({"item_edit completed": 1})


def test_an_item_edit_committed_twice_is_a_duplicate():
    verdict = _edit_verdict(
        _edit_request(), _edit_store(REDUCED, [_edit_refund("10.00")]), [_commit(), _commit()]
    )

    assert len(verdict.duplicated) == 1 and "2 orderEditCommit" in verdict.duplicated[0]


@pytest.mark.parametrize(
    ("changes", "lines", "refunds", "expected"),
    [
        (REDUCE, UNCHANGED, [_edit_refund("10.00")], "lines are"),  # refunded, not edited
        (REDUCE, [_line(TEE, 1, SIZE_M), _line(WRAP, 0)], [_edit_refund("10.00")], "lines are"),
        (REDUCE, REDUCED, [_edit_refund("9.00")], "partial refund of 10.00"),
        (REDUCE, REDUCED, [], "partial refund of 10.00"),
        (SWAP, [_line(TEE, 0, SIZE_M), _line(WRAP, 1)], [_edit_refund("10.00")], "lines added"),
        (SWAP, [_line(TEE, 0, SIZE_M), _line(WRAP, 1), _line(ADDED, 2, SIZE_M)], [], "lines added"),
    ],
)
def test_a_completed_item_edit_the_store_does_not_show_is_a_mismatch(changes, lines, refunds, expected):
    request = _edit_request(changes)
    if not refunds and changes is SWAP:
        request |= {"refund": "none", "refund_amount": None, "planned_refund": "0.00"}

    verdict = _edit_verdict(request, _edit_store(lines, refunds), [_commit()])

    assert len(verdict.mismatched) == 1 and expected in verdict.mismatched[0], verdict.mismatched


def test_an_item_edit_refund_other_than_the_planned_difference_is_a_mismatch():
    request = _edit_request(refund_amount="8.00", planned_refund="10.00")

    verdict = _edit_verdict(request, _edit_store(REDUCED, [_edit_refund("8.00")]), [_commit()])

    assert len(verdict.mismatched) == 1 and "takes 10.00 off" in verdict.mismatched[0]
    owed = _edit_request(refund="none", refund_amount=None)
    assert _edit_verdict(owed, _edit_store(REDUCED), [_commit()]).mismatched


def test_a_failed_or_rejected_item_edit_leaves_the_order_as_the_shopper_saw_it():
    failed = _edit_request(state="failed", failure_code="shipped", refund="", refund_amount=None)
    rejected = _edit_request(state="rejected", decision_message="No", refund="", refund_amount=None)

    assert _edit_verdict(failed, _edit_store(UNCHANGED), []).ok
    assert _edit_verdict(rejected, _edit_store(UNCHANGED), []).ok
    assert _edit_verdict(failed, _edit_store(REDUCED), [_commit()]).mismatched
    assert _edit_verdict(rejected, _edit_store(REDUCED), []).mismatched  # edited by no one we know
    assert _edit_verdict(failed, _edit_store(UNCHANGED, [_edit_refund("10.00")]), []).mismatched


def test_a_commit_no_item_edit_request_asked_for_is_a_mismatch():
    verdict = _edit_verdict(
        _edit_request(), _edit_store(REDUCED, [_edit_refund("10.00")]), [_commit(), _commit(request_id=8)]
    )
    unmarked = {**_commit(), "variables": {"id": "gid://shopify/CalculatedOrder/4", "staffNote": "by hand"}}

    assert verdict.mismatched == ["1 orderEditCommit applied for request #8, which is no item edit request"]
    assert _verdict(calls=[CANCEL_OK, unmarked]).mismatched == ["1 orderEditCommit applied for no request"]


def test_a_mirror_whose_line_quantities_differ_from_the_store_is_a_mismatch():
    verdict = _edit_verdict(
        _edit_request(),
        _edit_store(REDUCED, [_edit_refund("10.00")]),
        [_commit()],
        mirror_lines={TEE: 2, WRAP: 1},
    )

    assert len(verdict.mismatched) == 1 and "line quantities" in verdict.mismatched[0]


# -- fulfilment holds: our hold on fulfilment order 71, a merchant's on it too ----------------------------

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
FO, OURS, MERCHANTS = "gid://shopify/FulfillmentOrder/71", "gid://shopify/FulfillmentHold/81", 82


def _hold_record(state: str = "released", **fields) -> dict:
    row = {
        "order__shopify_gid": GID,
        "fulfillment_order_gid": FO,
        "hold_gid": OURS,
        "state": state,
        "held_until": NOW + timedelta(minutes=20),
        "released_because": "request #7 completed" if state == "released" else "",
    }
    row.update(fields)
    return row


def _store_hold(hold_id: int = 81, handle: str = HOLD_HANDLE) -> dict:
    return {"id": hold_id, "fulfillment_order_id": 71, "handle": handle, "reason": "OTHER"}


def _release(*hold_ids: str) -> dict:
    return {
        "operation": "fulfillmentOrderReleaseHold",
        "outcome": "ok",
        "variables": {"id": FO, "holdIds": list(hold_ids)},
    }


def _hold_verdict(records, store_holds, *, requests=None, calls=(), cancelled=True, merchant=False):
    """A completed cancel (or `requests`) on an order whose holds are `records` and, in the store,
    `store_holds`; with `merchant`, the soak's merchant held it too (hold 82)."""
    store = _store(holds=store_holds)
    mirror = _mirror()
    if not cancelled:
        store |= {"cancelled_at": None, "refunds": [], "financial_status": "paid"}
        mirror |= {"cancelled_at": None, "financial_status": "paid"}
    return reconcile(
        requests=requests if requests is not None else [_request()],
        mirror={GID: mirror},
        store_orders={GID: store},
        calls=[CANCEL_OK, *calls] if cancelled else list(calls),
        holds=records,
        merchant_holds={GID: [f"gid://shopify/FulfillmentHold/{MERCHANTS}"]} if merchant else {},
        now=NOW,
    )


def test_holds_the_store_shows_as_the_portal_recorded_them_are_all_zero():
    released = _hold_verdict([_hold_record()], [], calls=[_release(OURS)])
    # a quiet order in its window, nobody asking: held, and a merchant's hold beside ours
    held = _hold_verdict(
        [_hold_record("held")],
        [_store_hold(MERCHANTS, "warehouse-check"), _store_hold()],
        requests=[],
        cancelled=False,
        merchant=True,
    )

    assert released.ok, released.mismatched
    assert held.ok, held.mismatched
    assert released.holds == Counter({"orders held": 1, "released: request settled": 1})
    assert held.holds["merchant holds kept"] == 1 and held.holds["still held at the end"] == 1


def test_a_hold_record_the_store_does_not_show_is_a_mismatch():
    lost_release = _hold_verdict([_hold_record("held")], [])  # cancelled meanwhile: Shopify dropped it
    still_on = _hold_verdict([_hold_record()], [_store_hold()])
    unknown = _hold_verdict([], [_store_hold()])
    other_id = _hold_verdict([_hold_record("held")], [_store_hold(99)], requests=[], cancelled=False)

    assert len(lost_release.mismatched) == 1 and "(the order is cancelled)" in lost_release.mismatched[0]
    assert any("record says released" in line for line in still_on.mismatched)
    assert any("no record" in line for line in unknown.mismatched)
    assert len(other_id.mismatched) == 1 and "with hold 99" in other_id.mismatched[0]


def test_our_hold_left_on_after_its_window_or_a_settled_request_is_a_mismatch():
    address = _request(kind="address_change", refund="", requested_address=ADDRESS)
    settled = _hold_verdict([_hold_record("held")], [_store_hold()], requests=[address], cancelled=False)
    closed = NOW - timedelta(minutes=2)
    window = _hold_verdict(
        [_hold_record("held", held_until=closed)], [_store_hold()], requests=[], cancelled=False
    )
    just_closed = _hold_verdict(
        [_hold_record("held", held_until=NOW - timedelta(seconds=5))],
        [_store_hold()],
        requests=[],
        cancelled=False,
    )
    waiting = _hold_verdict(
        [_hold_record("held", held_until=closed)],
        [_store_hold()],
        requests=[_request(state="submitted", refund="")],
        cancelled=False,
    )

    assert settled.mismatched == [
        f"#1001 {GID}: our hold is still on, though request #7 (address_change) is completed"
    ]
    assert len(window.mismatched) == 1 and "its window closed at 09:58:00" in window.mismatched[0]
    assert just_closed.ok  # the beat's sweep has a grace period
    assert not [line for line in waiting.mismatched if "hold" in line]  # an open request keeps it held


def test_a_merchants_hold_must_outlive_every_release_of_ours():
    gone = _hold_verdict([_hold_record()], [], requests=[], cancelled=False, merchant=True)
    cancelled = _hold_verdict([_hold_record()], [], merchant=True)
    released = _hold_verdict(
        [_hold_record()],
        [_store_hold(MERCHANTS, "warehouse-check")],
        calls=[_release(OURS, f"gid://shopify/FulfillmentHold/{MERCHANTS}")],
        merchant=True,
    )
    everything = _hold_verdict([_hold_record()], [], calls=[_release()])

    assert gone.mismatched == [f"#1001 {GID}: the merchant's hold gid://shopify/FulfillmentHold/82 is gone"]
    assert cancelled.ok and cancelled.holds["merchant holds gone with the order's cancel"] == 1
    assert released.mismatched == [
        f"a fulfillmentOrderReleaseHold on {FO} released FulfillmentHold/82: a merchant's"
    ]
    assert everything.mismatched == [
        f"a fulfillmentOrderReleaseHold named no hold: every hold on {FO} released"
    ]


@pytest.mark.parametrize(
    ("because", "who"),
    [
        ("the self-service window closed", "window closed"),
        ("request #12 rejected", "request settled"),
        ("released by soak-moderator", "merchant (console)"),
        ("by magic", "other ('by magic')"),
    ],
)
def test_a_release_is_told_by_who_released_it(because, who):
    assert released_by(because) == who


# -- returns: two mugs shipped (fulfillment line item 31); the shopper sends one back ---------------------

FLI = 31


def _return_request(**fields) -> dict:
    return (
        _request(
            kind="return",
            refund="none",
            return_lines=[
                {"fulfillment_line_item_gid": f"gid://shopify/FulfillmentLineItem/{FLI}", "quantity": 1}
            ],
            reason_code="SIZE_TOO_SMALL",
        )
        | fields
    )


def _return(status: str, request_id: int = 7, quantity: int = 1, note: str | None = None) -> dict:
    return {
        "id": 90 + request_id,
        "name": f"#1001-R{request_id}",
        "status": status,
        "line_items": [
            {
                "fulfillment_line_item_id": FLI,
                "quantity": quantity,
                "return_reason": "size_too_small",
                "customer_note": f"Self-service request #{request_id}: too small",
            }
        ],
        "decline": {"reason": "other", "note": note} if status == "declined" else None,
    }


def _asked(request_id: int = 7, outcome: str = "ok") -> dict:
    return {
        "operation": "returnRequest",
        "outcome": outcome,
        "variables": {
            "input": {
                "orderId": GID,
                "returnLineItems": [{"customerNote": f"Self-service request #{request_id}: too small"}],
            }
        },
    }


def _return_verdict(request: dict, returns: list[dict], calls: list[dict] | None = None, **kwargs):
    shipped = {"cancelled_at": None, "fulfillment_status": "fulfilled", "financial_status": "paid"}
    return reconcile(
        requests=[request],
        mirror={GID: _mirror(**shipped)},
        store_orders={GID: _store(**shipped, refunds=[], returns=returns)},
        calls=calls if calls is not None else [_asked()] * len(returns),
        **kwargs,
    )


def test_returns_the_store_shows_as_decided_are_all_zero():
    approved = _return_verdict(_return_request(), [_return("open")])
    declined = _return_verdict(
        _return_request(state="rejected", decision_message="Worn"), [_return("declined", note="Worn")]
    )
    before_shopify = _return_verdict(_return_request(state="rejected", decision_message="Worn"), [])
    # …and request #70's return is not request #7's
    other = _return_verdict(_return_request(id=70), [_return("open", request_id=70)])

    for verdict in (approved, declined, before_shopify, other):
        assert verdict.ok, (verdict.lost, verdict.duplicated, verdict.mismatched)
    assert approved.kinds["return"] == Counter({"requests": 1})
    assert declined.returns == Counter({"rejected: declined in Shopify": 1})


def test_two_returns_or_two_applied_requests_for_one_request_are_a_duplicate():
    two = _return_verdict(_return_request(), [_return("open"), _return("requested")])
    twice_asked = _return_verdict(_return_request(), [_return("open")], [_asked(), _asked()])
    faulted = _return_verdict(
        _return_request(), [_return("open")], [_asked(), _asked(outcome="fault:timeout")]
    )

    assert len(two.duplicated) == 1 and "2 returns in Shopify" in two.duplicated[0]
    assert two.kinds["return"]["duplicated"] == 1
    assert len(twice_asked.duplicated) == 1
    assert faulted.ok


@pytest.mark.parametrize(
    ("asked", "returns", "expected"),
    [
        (_return_request(), [], "Shopify shows no return"),
        (_return_request(), [_return("requested")], "the return requested"),
        (_return_request(), [_return("open", quantity=2)], "holds {31: 2}"),
        (_return_request(reason_code="UNWANTED"), [_return("open")], "reason"),
        (_return_request(state="rejected", decision_message="Worn"), [_return("requested")], "is requested"),
        (_return_request(state="rejected", decision_message="Worn"), [_return("declined", note="?")], "says"),
        (_return_request(state="failed", failure_code="shopify_refused"), [_return("open")], "is open"),
    ],
)
def test_a_return_the_store_shows_otherwise_is_a_mismatch(asked, returns, expected):
    verdict = _return_verdict(asked, returns)

    assert len(verdict.mismatched) == 1 and expected in verdict.mismatched[0], verdict.mismatched


def test_a_return_no_return_request_asked_for_is_a_mismatch():
    unmarked = _return("open") | {"line_items": [_return("open")["line_items"][0] | {"customer_note": ""}]}
    verdict = _return_verdict(_return_request(), [_return("open"), unmarked], [_asked()])
    cancels = _verdict(store=_store(returns=[_return("requested")]))

    assert verdict.mismatched == [
        f"#1001 {GID}: return #1001-R7 (open) names no request, which is no return request of it"
    ]
    assert len(cancels.mismatched) == 1 and "names #7, which is no return request" in cancels.mismatched[0]


# -- withdrawals and guests ---------------------------------------------------------------------------------

ACK = "We received your withdrawal from order #1001"


def _withdrawal(**fields) -> dict:
    row = {
        "id": 3,
        "order__shopify_gid": GID,
        "request_id": 7,
        "email": "ada@example.com",
        "acknowledged_at": NOW,
        "acknowledgement_subject": ACK,
    }
    row.update(fields)
    return row


def _withdrawal_verdict(request=None, rows=None, mail=None, withdrawn=None, store=None):
    request = request if request is not None else _request(is_withdrawal=True)
    return reconcile(
        requests=[request],
        mirror={GID: _mirror()},
        store_orders={GID: store if store is not None else _store(total_price="50.00", refunds=[_full(50)])},
        calls=[CANCEL_OK],
        withdrawals=rows if rows is not None else [_withdrawal()],
        withdrawn=withdrawn if withdrawn is not None else {GID: False},
        mail=mail if mail is not None else [{"to": ["Ada@example.com"], "subject": ACK}],
    )


def _full(amount: int) -> dict:
    return {
        "note": "Self-service request #7",
        "transactions": [{"kind": "refund", "status": "success", "amount": str(amount)}],
    }


def test_a_withdrawal_recorded_once_refunded_in_full_and_acknowledged_once_is_all_zero():
    verdict = _withdrawal_verdict()

    assert verdict.ok, (verdict.lost, verdict.duplicated, verdict.mismatched)
    assert verdict.kinds["withdrawal (cancel)"] == Counter({"requests": 1})
    assert verdict.states == Counter({"withdrawal (cancel) completed": 1})


def test_an_acknowledgement_never_sent_is_lost_and_one_sent_twice_a_duplicate():
    unsent = _withdrawal_verdict(mail=[{"to": ["ada@example.com"], "subject": "Your request was approved"}])
    twice = _withdrawal_verdict(mail=[{"to": ["ada@example.com"], "subject": ACK}] * 2)
    unclaimed = _withdrawal_verdict(rows=[_withdrawal(acknowledged_at=None)])

    assert (
        len(unsent.lost) == 1 and "1 withdrawals acknowledged to ada@example.com, 0 e-mails" in unsent.lost[0]
    )
    assert len(twice.duplicated) == 1 and unsent.kinds["withdrawal (cancel)"]["lost"] == 1
    assert len(unclaimed.lost) == 1 and "never sent" in unclaimed.lost[0]


def test_a_withdrawal_recorded_twice_or_not_at_all_or_as_the_wrong_kind_is_counted():
    twice = _withdrawal_verdict(
        rows=[_withdrawal(), _withdrawal(id=4)], mail=[{"to": ["ada@example.com"], "subject": ACK}] * 2
    )
    unrecorded = _withdrawal_verdict(rows=[])
    shipped = _withdrawal_verdict(withdrawn={GID: True})
    partial = _withdrawal_verdict(store=_store(total_price="50.00", refunds=[_full(20)]))

    assert len(twice.duplicated) == 1 and "2 withdrawals recorded" in twice.duplicated[0]
    assert len(unrecorded.lost) == 1 and len(unrecorded.mismatched) == 1
    assert len(shipped.mismatched) == 1 and "became a cancel request" in shipped.mismatched[0]
    assert len(partial.mismatched) == 1 and "refunded 20 of the order's 50.00" in partial.mismatched[0]


def test_a_guests_request_belongs_to_no_account_and_counts_as_a_guests_too():
    guest = _request(shopper_id=None, shopper_email="guest@example.com")
    claimed = _request(shopper_id=12, shopper_email="guest@example.com")

    ok = reconcile(
        requests=[guest],
        mirror={GID: _mirror()},
        store_orders={GID: _store()},
        calls=[CANCEL_OK],
        guest_orders={GID},
    )
    wrong = reconcile(
        requests=[claimed],
        mirror={GID: _mirror()},
        store_orders={GID: _store()},
        calls=[CANCEL_OK],
        guest_orders={GID},
    )

    assert ok.ok and ok.kinds["guest"] == Counter({"requests": 1}) and ok.kinds["cancel"]["requests"] == 1
    assert len(wrong.mismatched) == 1 and wrong.kinds["guest"]["mismatched"] == 1
    assert wrong.kind_lines() == [
        "cancel: 1 requests, 0 lost, 0 duplicated, 1 mismatched",
        "guest: 1 requests, 0 lost, 0 duplicated, 1 mismatched",
    ]
