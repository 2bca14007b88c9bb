"""The soak's verdict: compare what the portal recorded with what the store (the devstore) shows.

- lost: a request that is not in a terminal state with a reason (completed; failed with a failure code;
  rejected with the merchant's message), i.e. stuck, or failed/rejected without saying why;
- duplicated: an order Shopify applied more than one `orderCancel` or more than one refund to (from
  `/_devstore/calls`, counting only calls whose outcome is `ok`, and from the order's refunds), or an item
  edit committed more than once (`orderEditCommit` calls carry no order id: they are told apart by the
  request number in their staff note);
- mismatched: an order whose mirror differs from the store (cancelled or not, fulfilment, payment state,
  shipping address, line quantities), a completed request whose effect the store does not show, or a
  request the portal says did not happen that the store shows applied. For an item edit: completed means
  the store's lines are the preview's with exactly the request's changes (a swapped line at 0 and one new
  line of the new variant), one commit, and for a partial refund one refund of the difference (the
  request's amount, and the soak's planned difference when the row says it); not completed means one
  commit or refund of its own is too many and the lines are as the shopper saw them. A commit no item edit
  request asked for is a mismatch too (an edit the soak planned but never got priced must not reach the
  store).

It reads plain data (rows as dicts, the devstore's JSON), so it can be checked on its own.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

TERMINAL = {"completed", "failed", "rejected"}
# The portal writes "Self-service request #<pk> …" into the cancel's staff note and the refund's note.
REQUEST_MARK = re.compile(r"Self-service request #(\d+)\b")
HOLD_HANDLE = "self-service-window"  # cancellations.services.holds.HOLD_HANDLE (the soak reads plain data)
# What `released_because` starts with, by who released the hold (cancellations.tasks, services.holds,
# the console's action).
RELEASED_BY = (
    ("the self-service window closed", "window closed"),
    ("request #", "request settled"),
    ("released by ", "merchant (console)"),
)
HOLD_GRACE = timedelta(seconds=30)  # the beat's sweep (every 10 s in the soak) and its task, with room
ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "address1",
    "address2",
    "city",
    "province_code",
    "country_code",
    "zip",
)


@dataclass
class Verdict:
    requests: int
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    states: Counter = field(default_factory=Counter)
    holds: Counter = field(default_factory=Counter)  # the holds' story, for the report

    @property
    def line(self) -> str:
        return (
            f"soak: {self.requests} requests, {len(self.lost)} lost, {len(self.duplicated)} duplicated, "
            f"{len(self.mismatched)} mismatched"
        )

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.mismatched)


def _norm(name: str, value: Any) -> str:
    text = " ".join(str(value or "").split()).casefold()
    return text.replace(" ", "") if name == "zip" else text


def same_address(a: dict | None, b: dict | None) -> bool:
    if not a or not b:
        return not a and not b
    return all(_norm(name, a.get(name)) == _norm(name, b.get(name)) for name in ADDRESS_FIELDS)


def _fulfilment(value: str | None) -> str:
    """The mirror keeps Shopify's display status (GraphQL or REST spelling); the devstore's REST view says
    fulfilled, partial or null."""
    value = (value or "").lower()
    if value == "fulfilled":
        return "fulfilled"
    if value in ("partial", "partially_fulfilled"):
        return "partial"
    return "unfulfilled"


def _target(call: dict) -> str | None:
    variables = call.get("variables") or {}
    found = variables.get("orderId") or (variables.get("input") or {}).get("orderId")
    return found or (variables.get("input") or {}).get("id")


def _refund_total(order: dict) -> Decimal:
    return _refunded(order.get("refunds") or [])


def _refunded(refunds: list[dict]) -> Decimal:
    return sum(
        (
            Decimal(str(t["amount"]))
            for refund in refunds
            for t in refund.get("transactions") or []
            if t.get("kind") == "refund" and t.get("status") == "success"
        ),
        Decimal(0),
    )


def _number(gid: Any) -> int | None:
    """The number behind a gid (`gid://shopify/ProductVariant/49`) or the number itself."""
    if gid is None or gid == "":
        return None
    return int(str(gid).rsplit("/", 1)[-1])


def _edit_commits(calls: list[dict]) -> Counter:
    """Applied `orderEditCommit` calls by the request their staff note names (None: it names none)."""
    found: Counter = Counter()
    for call in calls:
        if call.get("operation") == "orderEditCommit" and call.get("outcome") == "ok":
            marks = REQUEST_MARK.findall((call.get("variables") or {}).get("staffNote") or "")
            found[int(marks[0]) if marks else None] += 1
    return found


def reconcile(
    *,
    requests: Sequence[Mapping[str, Any]],
    mirror: Mapping[str, Mapping[str, Any]],
    store_orders: dict[str, dict],
    calls: list[dict],
    holds: Sequence[Mapping[str, Any]] | None = None,
    merchant_holds: Mapping[str, Sequence[str]] | None = None,
    now: datetime | None = None,
) -> Verdict:
    """`requests`: Request rows (values() with `order__shopify_gid`); `mirror`/`store_orders`: by gid.
    `holds`: FulfilmentHold rows (values() with `order__shopify_gid`), None when the run held nothing;
    `merchant_holds`: the hold ids the soak's merchant placed, by order gid; `now`: when the rows were
    read."""
    verdict = Verdict(requests=len(requests))
    for request in requests:
        verdict.states[
            f"{request['kind']} {request['state']}"
            + (f" ({request['failure_code']})" if request["failure_code"] else "")
        ] += 1

    # lost
    for request in requests:
        name = f"request #{request['id']} ({request['kind']}, {request['state']})"
        if request["state"] not in TERMINAL:
            verdict.lost.append(f"{name}: not finished")
        elif request["state"] == "failed" and not request["failure_code"]:
            verdict.lost.append(f"{name}: failed without a reason")
        elif request["state"] == "rejected" and not request["decision_message"]:
            verdict.lost.append(f"{name}: rejected without a reason")

    # duplicated
    commits = _edit_commits(calls)
    for request in requests:
        if request["kind"] == "item_edit" and commits[request["id"]] > 1:
            verdict.duplicated.append(
                f"request #{request['id']} (item_edit, {request['state']}): "
                f"{commits[request['id']]} orderEditCommit applied"
            )
    applied: dict[str, list[dict]] = defaultdict(list)
    for call in calls:
        if call.get("outcome") == "ok":
            applied[_target(call) or "?"].append(call)
    for gid, order in store_orders.items():
        operations = Counter(call["operation"] for call in applied[gid])
        cancels, refunds = operations["orderCancel"], operations["refundCreate"]
        refund_rows = len(order.get("refunds") or [])
        if cancels > 1 or refunds > 1 or refund_rows > 1:
            verdict.duplicated.append(
                f"{order.get('name')} {gid}: {cancels} orderCancel, {refunds} refundCreate applied, "
                f"{refund_rows} refunds in the store"
            )

    # mismatched: the mirror against the store
    for gid, store in store_orders.items():
        mine = mirror.get(gid)
        if mine is None:
            verdict.mismatched.append(f"{store.get('name')} {gid}: not in the mirror")
            continue
        differences = []
        if (mine["cancelled_at"] is not None) != (store.get("cancelled_at") is not None):
            differences.append(f"cancelled {mine['cancelled_at']} vs {store.get('cancelled_at')}")
        if _fulfilment(mine["fulfillment_status"]) != _fulfilment(store.get("fulfillment_status")):
            differences.append(
                f"fulfilment {mine['fulfillment_status']!r} vs {store.get('fulfillment_status')!r}"
            )
        if (mine["financial_status"] or "").lower() != (store.get("financial_status") or "").lower():
            differences.append(f"payment {mine['financial_status']!r} vs {store.get('financial_status')!r}")
        if not same_address(mine["shipping_address"], store.get("shipping_address")):
            differences.append("shipping address differs")
        if "lines" in mine:
            store_lines = {
                line["admin_graphql_api_id"]: line["current_quantity"] for line in store["line_items"]
            }
            if mine["lines"] != store_lines:
                differences.append(f"line quantities {mine['lines']} vs {store_lines}")
        if differences:
            verdict.mismatched.append(f"{store.get('name')} {gid}: mirror differs: " + "; ".join(differences))

    # mismatched: an edit no request asked for
    edit_requests = {request["id"] for request in requests if request["kind"] == "item_edit"}
    for mark, count in sorted(commits.items(), key=lambda item: item[0] or 0):
        if mark not in edit_requests:
            verdict.mismatched.append(
                f"{count} orderEditCommit applied for "
                + (f"request #{mark}, which is no item edit request" if mark else "no request")
            )

    # mismatched: each request's effect in the store
    for request in requests:
        gid = request["order__shopify_gid"]
        in_store = store_orders.get(gid)
        name = f"request #{request['id']} ({request['kind']} {request['refund'] or ''}, {request['state']})"
        if in_store is None:
            verdict.mismatched.append(f"{name}: order {gid} is not in the store")
            continue
        if request["kind"] == "item_edit":
            problem = _edit_problem(request, in_store, commits[request["id"]])
        else:
            problem = _effect_problem(request, in_store, applied[gid])
        if problem:
            verdict.mismatched.append(f"{name} on {in_store.get('name')}: {problem}")

    if holds is not None:
        _check_holds(
            verdict,
            requests=requests,
            store_orders=store_orders,
            calls=calls,
            holds=holds,
            merchant_holds=merchant_holds or {},
            now=now,
        )
    return verdict


def released_by(because: str) -> str:
    return next((who for start, who in RELEASED_BY if because.startswith(start)), f"other ({because!r})")


def _check_holds(
    verdict: Verdict,
    *,
    requests: Sequence[Mapping[str, Any]],
    store_orders: dict[str, dict],
    calls: list[dict],
    holds: Sequence[Mapping[str, Any]],
    merchant_holds: Mapping[str, Sequence[str]],
    now: datetime | None,
) -> None:
    """The fulfilment holds' part of the verdict (see the module's docstring), and their story."""
    records: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in holds:
        records[record["order__shopify_gid"]].append(record)
    by_order: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for request in requests:
        by_order[request["order__shopify_gid"]].append(request)
    story = verdict.holds
    for gid, store in store_orders.items():
        name = f"{store.get('name')} {gid}"
        mine = records.get(gid, [])
        in_store = {
            hold["fulfillment_order_id"]: hold
            for hold in store.get("holds") or []
            if hold.get("handle") == HOLD_HANDLE
        }
        held = [record for record in mine if record["hold_gid"]]
        story["orders held"] += bool(held)
        story["orders never held"] += not held
        for record in mine:
            story[_hold_outcome(record)] += 1
            fulfillment_order = _number(record["fulfillment_order_gid"])
            found = in_store.get(fulfillment_order)
            problem = _record_problem(record, found, cancelled=bool(store.get("cancelled_at")))
            if problem:
                verdict.mismatched.append(f"{name}: {problem}")
        recorded = {_number(record["fulfillment_order_gid"]) for record in mine}
        for fulfillment_order, found in in_store.items():
            if fulfillment_order not in recorded:
                verdict.mismatched.append(
                    f"{name}: the store shows our hold {found['id']} on "
                    f"FulfillmentOrder/{fulfillment_order}, of which the portal has no record"
                )
        if in_store:
            reasons = _hold_overdue(mine, by_order.get(gid, []), now)
            if reasons:
                verdict.mismatched.append(f"{name}: our hold is still on, though " + " and ".join(reasons))

        planted = merchant_holds.get(gid, ())
        present = {hold["id"] for hold in store.get("holds") or []}
        for hold_gid in planted:
            if _number(hold_gid) in present:
                story["merchant holds kept"] += 1
            elif store.get("cancelled_at"):
                story["merchant holds gone with the order's cancel"] += 1
            else:
                verdict.mismatched.append(f"{name}: the merchant's hold {hold_gid} is gone")

    ours = {_number(record["hold_gid"]) for record in holds if record["hold_gid"]}
    merchants = {_number(hold_gid) for planted in merchant_holds.values() for hold_gid in planted}
    for call in calls:
        if call.get("operation") != "fulfillmentOrderReleaseHold" or call.get("outcome") != "ok":
            continue
        variables = call.get("variables") or {}
        named = [_number(hold_id) for hold_id in variables.get("holdIds") or []]
        if not named:
            verdict.mismatched.append(
                f"a fulfillmentOrderReleaseHold named no hold: every hold on {variables.get('id')} released"
            )
        for number in named:
            if number not in ours:
                whose = "a merchant's" if number in merchants else "no hold the portal placed"
                verdict.mismatched.append(
                    f"a fulfillmentOrderReleaseHold on {variables.get('id')} released "
                    f"FulfillmentHold/{number}: {whose}"
                )


def _record_problem(record: Mapping[str, Any], found: dict | None, *, cancelled: bool) -> str | None:
    """Where a hold record and the store's fulfilment order (`found`: our hold on it, if any) disagree."""
    where = record["fulfillment_order_gid"]
    if record["state"] != "held":
        if found is None:
            return None
        return (
            f"the store shows our hold {found['id']} on {where}, but the portal's record says "
            + record["state"]
        )
    if found is None:
        gone = " (the order is cancelled)" if cancelled else ""
        return f"the portal's record says {where} is held, but the store shows no hold of ours there{gone}"
    if _number(record["hold_gid"]) != found["id"]:
        return (
            f"the portal's record holds {where} with {record['hold_gid']}, the store with hold {found['id']}"
        )
    return None


def _hold_outcome(record: Mapping[str, Any]) -> str:
    if record["state"] == "released":
        return "released: " + released_by(record["released_because"] or "")
    if record["state"] == "failed":
        return "not held (Shopify would not)"
    return "still held at the end"


def _hold_overdue(
    records: list[Mapping[str, Any]], requests: list[Mapping[str, Any]], now: datetime | None
) -> list[str]:
    """Why a hold of ours on the order should be off by now: its window closed (a grace period ago, and
    no request keeps it), or its order's requests have all settled."""
    reasons = []
    open_requests = [request for request in requests if request["state"] not in TERMINAL]
    until = max((record["held_until"] for record in records), default=None)
    if now is not None and until is not None and until <= now - HOLD_GRACE and not open_requests:
        reasons.append(f"its window closed at {until:%H:%M:%S}")
    if requests and not open_requests:
        last = max(requests, key=lambda request: request["id"])
        reasons.append(f"request #{last['id']} ({last['kind']}) is {last['state']}")
    return reasons


def _marked(text: str | None, request: Mapping[str, Any]) -> bool:
    return any(int(found) == request["id"] for found in REQUEST_MARK.findall(text or ""))


def _effect_problem(request: Mapping[str, Any], store: dict, applied: list[dict]) -> str | None:
    state, kind = request["state"], request["kind"]
    cancelled = store.get("cancelled_at") is not None
    if kind == "address_change":
        asked = request["requested_address"]
        if state == "completed" and not same_address(asked, store.get("shipping_address")):
            return "completed, but the store has another shipping address"
        return None
    refunds = store.get("refunds") or []
    ours = [r for r in refunds if _marked(r.get("note"), request)]
    if state != "completed":
        # The portal says it did not happen: the store must not show our cancel or our refund.
        cancels = [
            c
            for c in applied
            if c["operation"] == "orderCancel"
            and _marked((c.get("variables") or {}).get("staffNote"), request)
        ]
        if cancels or ours:
            return f"{state}, but the store applied this request's cancel or refund"
        return None
    if not cancelled:
        return "completed, but the order is not cancelled in the store"
    refund = request["refund"]
    if refund in ("full", "store_credit"):
        if len(refunds) != 1:
            return f"completed with a {refund} refund, but the store shows {len(refunds)} refunds"
    elif refund == "partial":
        if len(ours) != 1 or _refund_total(store) != Decimal(str(request["refund_amount"])):
            return (
                f"completed with a partial refund of {request['refund_amount']}, but the store shows "
                f"{len(ours)} of our refunds totalling {_refund_total(store)}"
            )
    elif refund == "none" and refunds:
        return f"completed without a refund, but the store shows {len(refunds)} refunds"
    return None


def _edit_problem(request: Mapping[str, Any], store: dict, commits: int) -> str | None:
    """An item edit's lines and refund in the store against what the request says (see the module's
    docstring)."""
    state = request["state"]
    before = {
        line["gid"]: line["current_quantity"] for line in (request["edit_preview"] or {}).get("lines", [])
    }
    lines = {line["admin_graphql_api_id"]: line for line in store.get("line_items") or []}
    added = [line for gid, line in lines.items() if gid not in before]
    refunds = store.get("refunds") or []
    ours = [r for r in refunds if _marked(r.get("note"), request)]
    if state != "completed":
        if commits or ours:
            return f"{state}, but the store applied this request's edit ({commits}) or refund ({len(ours)})"
        now = {gid: lines[gid]["current_quantity"] if gid in lines else None for gid in before}
        if now != before or added:
            return (
                f"{state}, but the store's lines are {now} (+{len(added)} added), not the preview's {before}"
            )
        return None
    if commits != 1:
        return f"completed, but the store applied {commits} orderEditCommit for it"
    expected = dict(before)
    swaps: Counter = Counter()
    for change in request["line_changes"] or []:
        expected[change["line_item_gid"]] = 0 if change.get("swap_to") else change["quantity"]
        if change.get("swap_to"):
            swaps[(_number(change["swap_to"]), change["quantity"])] += 1
    now = {gid: lines[gid]["current_quantity"] if gid in lines else None for gid in expected}
    if now != expected:
        return f"completed, but the store's lines are {now}, not {expected}"
    got = Counter((_number(line.get("variant_id")), line["current_quantity"]) for line in added)
    if got != swaps:
        return f"completed, but the lines added are {sorted(got.items())}, not {sorted(swaps.items())}"
    planned = request.get("planned_refund")
    if request["refund"] == "partial":
        total = _refunded(ours)
        if len(ours) != 1 or total != Decimal(str(request["refund_amount"])):
            return (
                f"completed with a partial refund of {request['refund_amount']}, but the store shows "
                f"{len(ours)} of our refunds totalling {total}"
            )
        if planned is not None and total != Decimal(str(planned)):
            return f"completed with a refund of {total}, but the edit takes {planned} off the order"
    elif refunds:
        return f"completed without a refund, but the store shows {len(refunds)} refunds"
    elif planned is not None and Decimal(str(planned)) > 0:
        # The soak's merchant never refunds an edit less than the default: the paid difference is owed.
        return f"completed without a refund, but the edit takes {planned} off a paid order"
    return None
