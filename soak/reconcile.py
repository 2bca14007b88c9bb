"""The soak's verdict: compare what the portal recorded with what the store (the devstore) shows.

- lost: a request that is not in a terminal state with a reason (completed; failed with a failure code;
  rejected with the merchant's message), i.e. stuck, or failed/rejected without saying why;
- duplicated: an order Shopify applied more than one `orderCancel` or more than one refund to (from
  `/_devstore/calls`, counting only calls whose outcome is `ok`, and from the order's refunds);
- mismatched: an order whose mirror differs from the store (cancelled or not, fulfilment, payment state,
  shipping address), a completed request whose effect the store does not show, or a request the portal
  says did not happen that the store shows applied.

It reads plain data (rows as dicts, the devstore's JSON), so it can be checked on its own.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

TERMINAL = {"completed", "failed", "rejected"}
# The portal writes "Self-service request #<pk> …" into the cancel's staff note and the refund's note.
REQUEST_MARK = re.compile(r"Self-service request #(\d+)\b")
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
    return sum(
        (
            Decimal(str(t["amount"]))
            for refund in order.get("refunds") or []
            for t in refund.get("transactions") or []
            if t.get("kind") == "refund" and t.get("status") == "success"
        ),
        Decimal(0),
    )


def reconcile(
    *,
    requests: Sequence[Mapping[str, Any]],
    mirror: Mapping[str, Mapping[str, Any]],
    store_orders: dict[str, dict],
    calls: list[dict],
) -> Verdict:
    """`requests`: Request rows (values() with `order__shopify_gid`); `mirror`/`store_orders`: by gid."""
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
        if differences:
            verdict.mismatched.append(f"{store.get('name')} {gid}: mirror differs: " + "; ".join(differences))

    # mismatched: each request's effect in the store
    for request in requests:
        gid = request["order__shopify_gid"]
        in_store = store_orders.get(gid)
        name = f"request #{request['id']} ({request['kind']} {request['refund'] or ''}, {request['state']})"
        if in_store is None:
            verdict.mismatched.append(f"{name}: order {gid} is not in the store")
            continue
        problem = _effect_problem(request, in_store, applied[gid])
        if problem:
            verdict.mismatched.append(f"{name} on {in_store.get('name')}: {problem}")
    return verdict


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
