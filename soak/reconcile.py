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

Returns are found in the store by the request's marker in their lines' notes ("Self-service request #N",
the whole number). Two returns (or two applied `returnRequest` calls) for one request are a duplicate. A
return request holds what the shopper asked for (the soak's `planned_return`, when the row says it). A
completed return has one return in Shopify, OPEN or CLOSED, holding exactly the request's lines and reason;
a rejected one has one DECLINED return (with the request's message as the note) or none, when the
rejection came before Shopify had it; a failed one has no approved return. A return no return request
asked for is a mismatch.

A withdrawal (`withdrawals`: Withdrawal rows; `withdrawn`: the orders the soak withdrew from, and whether
they had shipped) is one Withdrawal row per order (two are a duplicate), its request a withdrawal: a cancel
when nothing had shipped, else a return; a completed withdrawal cancel refunded the order's whole total.
Its acknowledgement is sent exactly once: with `mail` (every e-mail the run sent), one e-mail to the
withdrawal's address with the acknowledgement's subject (none is lost, two are a duplicate); without it,
`acknowledged_at` set. A withdrawal the soak made that the portal has no row for is lost.

A guest's request (`guest_orders`) belongs to no account and names the guest's address; otherwise it is
checked like any other. Every problem is also counted by kind (`Verdict.kinds`): the request's kind (a
withdrawal as "withdrawal (cancel)" or "withdrawal (return)"), and "guest" for a guest's; an order's
problem counts for each kind asked about it, "no request" when none was.

It reads plain data (rows as dicts, the devstore's JSON), so it can be checked on its own.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

TERMINAL = {"completed", "failed", "rejected"}
BUCKETS = ("lost", "duplicated", "mismatched")
NO_REQUEST = "no request"
GUEST = "guest"
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
    # By kind (see `kind_of`): "requests", and each problem's bucket.
    kinds: defaultdict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    returns: Counter = field(default_factory=Counter)  # the returns' story, for the report

    def add(self, bucket: str, problem: str, kinds: Iterable[str] = ()) -> None:
        """Record `problem` in `bucket` ("lost", "duplicated" or "mismatched"), counted for `kinds`."""
        getattr(self, bucket).append(problem)
        for kind in set(kinds) or {NO_REQUEST}:
            self.kinds[kind][bucket] += 1

    @property
    def line(self) -> str:
        return (
            f"soak: {self.requests} requests, {len(self.lost)} lost, {len(self.duplicated)} duplicated, "
            f"{len(self.mismatched)} mismatched"
        )

    def kind_lines(self) -> list[str]:
        """One line per kind, as `line`: "return: 180 requests, 0 lost, 0 duplicated, 0 mismatched"."""
        return [
            f"{kind}: {counts['requests']} requests, "
            + ", ".join(f"{counts[bucket]} {bucket}" for bucket in BUCKETS)
            for kind, counts in sorted(self.kinds.items(), key=lambda item: (item[0] == NO_REQUEST, item[0]))
        ]

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


def kind_of(request: Mapping[str, Any]) -> str:
    """The kind a request is counted under: its own, a withdrawal's by what it became."""
    if request.get("is_withdrawal"):
        return f"withdrawal ({request['kind']})"
    return str(request["kind"])


def reconcile(
    *,
    requests: Sequence[Mapping[str, Any]],
    mirror: Mapping[str, Mapping[str, Any]],
    store_orders: dict[str, dict],
    calls: list[dict],
    holds: Sequence[Mapping[str, Any]] | None = None,
    merchant_holds: Mapping[str, Sequence[str]] | None = None,
    now: datetime | None = None,
    withdrawals: Sequence[Mapping[str, Any]] | None = None,
    withdrawn: Mapping[str, bool] | None = None,
    mail: Sequence[Mapping[str, Any]] | None = None,
    guest_orders: Collection[str] = (),
) -> Verdict:
    """`requests`: Request rows (values() with `order__shopify_gid`); `mirror`/`store_orders`: by gid.
    `holds`: FulfilmentHold rows (values() with `order__shopify_gid`), None when the run held nothing;
    `merchant_holds`: the hold ids the soak's merchant placed, by order gid; `now`: when the rows were
    read. `withdrawals`: Withdrawal rows (values() with `order__shopify_gid` and the subject its
    acknowledgement has, `acknowledgement_subject`), None when the run withdrew nothing; `withdrawn`: the
    orders the soak withdrew from, by gid, and whether they had shipped; `mail`: the e-mails the run sent
    (`to`, `subject`), None when it did not capture them; `guest_orders`: the gids of guests' orders."""
    verdict = Verdict(requests=len(requests))
    kinds_of_request: dict[int, set[str]] = {}
    kinds_of_order: dict[str, set[str]] = defaultdict(set)
    for request in requests:
        verdict.states[
            f"{kind_of(request)} {request['state']}"
            + (f" ({request['failure_code']})" if request["failure_code"] else "")
        ] += 1
        kinds = {kind_of(request)}
        if request["order__shopify_gid"] in guest_orders:
            kinds.add(GUEST)
        kinds_of_request[request["id"]] = kinds
        kinds_of_order[request["order__shopify_gid"]] |= kinds
        for kind in kinds:
            verdict.kinds[kind]["requests"] += 1

    # lost
    for request in requests:
        name = f"request #{request['id']} ({request['kind']}, {request['state']})"
        kinds = kinds_of_request[request["id"]]
        if request["state"] not in TERMINAL:
            verdict.add("lost", f"{name}: not finished", kinds)
        elif request["state"] == "failed" and not request["failure_code"]:
            verdict.add("lost", f"{name}: failed without a reason", kinds)
        elif request["state"] == "rejected" and not request["decision_message"]:
            verdict.add("lost", f"{name}: rejected without a reason", kinds)

    # duplicated
    commits = _edit_commits(calls)
    for request in requests:
        if request["kind"] == "item_edit" and commits[request["id"]] > 1:
            verdict.add(
                "duplicated",
                f"request #{request['id']} (item_edit, {request['state']}): "
                f"{commits[request['id']]} orderEditCommit applied",
                kinds_of_request[request["id"]],
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
            verdict.add(
                "duplicated",
                f"{order.get('name')} {gid}: {cancels} orderCancel, {refunds} refundCreate applied, "
                f"{refund_rows} refunds in the store",
                kinds_of_order.get(gid, ()),
            )

    # mismatched: the mirror against the store
    for gid, store in store_orders.items():
        mine = mirror.get(gid)
        if mine is None:
            verdict.add(
                "mismatched", f"{store.get('name')} {gid}: not in the mirror", kinds_of_order.get(gid, ())
            )
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
            verdict.add(
                "mismatched",
                f"{store.get('name')} {gid}: mirror differs: " + "; ".join(differences),
                kinds_of_order.get(gid, ()),
            )

    # mismatched: an edit no request asked for
    edit_requests = {request["id"] for request in requests if request["kind"] == "item_edit"}
    for mark, count in sorted(commits.items(), key=lambda item: item[0] or 0):
        if mark not in edit_requests:
            verdict.add(
                "mismatched",
                f"{count} orderEditCommit applied for "
                + (f"request #{mark}, which is no item edit request" if mark else "no request"),
                kinds_of_request.get(mark or 0, ()),
            )

    # mismatched: each request's effect in the store
    return_requests = {
        request["id"]: request["order__shopify_gid"] for request in requests if request["kind"] == "return"
    }
    return_calls = _return_requests_applied(calls)
    for request in requests:
        gid = request["order__shopify_gid"]
        in_store = store_orders.get(gid)
        kinds = kinds_of_request[request["id"]]
        name = f"request #{request['id']} ({request['kind']} {request['refund'] or ''}, {request['state']})"
        if in_store is None:
            verdict.add("mismatched", f"{name}: order {gid} is not in the store", kinds)
            continue
        if request["kind"] == "return":
            ours = [r for r in in_store.get("returns") or [] if _return_marks(r) == {request["id"]}]
            sent = return_calls[request["id"]]
            if len(ours) > 1 or sent > 1:
                verdict.add(
                    "duplicated",
                    f"{name} on {in_store.get('name')}: {len(ours)} returns in Shopify, {sent} returnRequest "
                    "applied",
                    kinds,
                )
                continue
            verdict.returns[_return_outcome(request, ours)] += 1
            problem = _return_problem(request, ours)
        elif request["kind"] == "item_edit":
            problem = _edit_problem(request, in_store, commits[request["id"]])
        else:
            problem = _effect_problem(request, in_store, applied[gid])
        if problem is None and request.get("is_withdrawal") and request["kind"] == "cancel":
            problem = _withdrawal_refund_problem(request, in_store)
        if problem is None and gid in guest_orders:
            problem = _guest_problem(request)
        if problem:
            verdict.add("mismatched", f"{name} on {in_store.get('name')}: {problem}", kinds)

    # mismatched: a return no return request asked for (by none, by another kind, or one return for two)
    for gid, store in store_orders.items():
        for found in store.get("returns") or []:
            marks = _return_marks(found)
            if len(marks) != 1 or any(return_requests.get(mark) != gid for mark in marks):
                named = ", ".join(f"#{mark}" for mark in sorted(marks)) or "no request"
                verdict.add(
                    "mismatched",
                    f"{store.get('name')} {gid}: return {found.get('name')} ({found.get('status')}) names "
                    f"{named}, which is no return request of it",
                    kinds_of_order.get(gid, ()),
                )

    if withdrawals is not None:
        _check_withdrawals(
            verdict,
            requests=requests,
            withdrawals=withdrawals,
            withdrawn=withdrawn or {},
            mail=mail,
            kinds_of_request=kinds_of_request,
        )
    if holds is not None:
        _check_holds(
            verdict,
            requests=requests,
            store_orders=store_orders,
            calls=calls,
            holds=holds,
            merchant_holds=merchant_holds or {},
            now=now,
            kinds_of_order=kinds_of_order,
        )
    return verdict


# -- returns ---------------------------------------------------------------------------------------------


def _return_marks(found: Mapping[str, Any]) -> set[int]:
    """The requests a return in the store names in its lines' notes."""
    return {
        int(mark)
        for line in found.get("line_items") or []
        for mark in REQUEST_MARK.findall(line.get("customer_note") or "")
    }


def _return_requests_applied(calls: list[dict]) -> Counter:
    """Applied `returnRequest` calls by the request their lines' notes name."""
    found: Counter = Counter()
    for call in calls:
        if call.get("operation") == "returnRequest" and call.get("outcome") == "ok":
            lines = ((call.get("variables") or {}).get("input") or {}).get("returnLineItems") or []
            marks = {
                int(mark) for line in lines for mark in REQUEST_MARK.findall(line.get("customerNote") or "")
            }
            for mark in marks:
                found[mark] += 1
    return found


def _return_outcome(request: Mapping[str, Any], ours: list[dict]) -> str:
    status = ours[0]["status"] if ours else "none"
    return f"{request['state']}: {'no return' if status == 'none' else status} in Shopify"


def _return_problem(request: Mapping[str, Any], ours: list[dict]) -> str | None:
    """A return request against what the shopper asked for (`planned_return`, units by title, when the row
    says it) and the (at most one) return of its in the store."""
    planned = request.get("planned_return")
    if planned is not None:
        holds: Counter = Counter()
        for line in request["return_lines"] or []:
            holds[line["title"]] += line["quantity"]
        if holds != Counter(planned):
            return f"the shopper asked to send back {dict(planned)}, but the request holds {dict(holds)}"
    state = request["state"]
    found = ours[0] if ours else None
    status = (found or {}).get("status")
    if state == "completed":
        if found is None or status not in ("open", "closed"):
            return f"completed, but Shopify shows {'no return' if found is None else f'the return {status}'}"
        asked = Counter(
            {
                _number(line["fulfillment_line_item_gid"]): line["quantity"]
                for line in request["return_lines"] or []
            }
        )
        held: Counter = Counter()
        for line in found.get("line_items") or []:
            held[line["fulfillment_line_item_id"]] += line["quantity"]
        if held != asked:
            return f"completed, but the return in Shopify holds {dict(held)}, not {dict(asked)}"
        reasons = {str(line.get("return_reason") or "").upper() for line in found.get("line_items") or []}
        if reasons != {str(request.get("reason_code") or "OTHER").upper()}:
            asked_reason = request.get("reason_code")
            return f"completed, but the return's reason in Shopify is {sorted(reasons)}, not {asked_reason}"
        return None
    if state == "rejected":
        if found is None:
            return None  # rejected before Shopify had it: nothing to decline
        if status not in ("declined", "canceled"):
            return f"rejected, but the return is {status} in Shopify"
        note = ((found.get("decline") or {}).get("note") or "").strip()
        if status == "declined" and note and note != (request["decision_message"] or "").strip():
            return f"rejected with {request['decision_message']!r}, but Shopify's decline says {note!r}"
        return None
    if state == "failed" and status in ("open", "closed"):
        return f"failed, but the return is {status} in Shopify"
    return None


# -- withdrawals and guests ---------------------------------------------------------------------------------


def _withdrawal_refund_problem(request: Mapping[str, Any], store: dict) -> str | None:
    """A withdrawal cancel that completed refunded the whole order (the law's rule)."""
    if request["state"] != "completed":
        return None
    if request["refund"] != "full":
        return f"a withdrawal completed with a {request['refund']} refund, not a full one"
    total = store.get("total_price")
    if total is not None and _refund_total(store) != Decimal(str(total)):
        return f"a withdrawal refunded {_refund_total(store)} of the order's {total}"
    return None


def _guest_problem(request: Mapping[str, Any]) -> str | None:
    if request.get("shopper_id") is not None:
        return f"a guest's request belongs to account {request['shopper_id']}"
    if not request.get("shopper_email", "x"):
        return "a guest's request names no e-mail address"
    return None


def _by_acknowledgement(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    found: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        key = (str(row["email"]).strip().lower(), " ".join(row["acknowledgement_subject"].split()))
        found[key].append(row)
    return found


def _check_withdrawals(
    verdict: Verdict,
    *,
    requests: Sequence[Mapping[str, Any]],
    withdrawals: Sequence[Mapping[str, Any]],
    withdrawn: Mapping[str, bool],
    mail: Sequence[Mapping[str, Any]] | None,
    kinds_of_request: Mapping[int, set[str]],
) -> None:
    """The withdrawals' part of the verdict (see the module's docstring)."""
    by_id = {request["id"]: request for request in requests}
    rows: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in withdrawals:
        rows[row["order__shopify_gid"]].append(row)
    sent: Counter = Counter()
    for message in mail or ():
        for to in message.get("to") or ():
            sent[(str(to).strip().lower(), " ".join(str(message.get("subject") or "").split()))] += 1

    for gid, found in rows.items():
        kinds = set().union(*(kinds_of_request.get(row["request_id"], set()) for row in found))
        if len(found) > 1:
            verdict.add("duplicated", f"{gid}: {len(found)} withdrawals recorded", kinds)
        for row in found:
            name = f"withdrawal {row['id']} from {gid}"
            request = by_id.get(row["request_id"])
            if request is None or not request.get("is_withdrawal"):
                verdict.add("mismatched", f"{name}: its request #{row['request_id']} is no withdrawal", kinds)
            elif gid in withdrawn and (request["kind"] == "return") != withdrawn[gid]:
                shipped = "shipped" if withdrawn[gid] else "nothing shipped"
                verdict.add(
                    "mismatched", f"{name}: {shipped}, yet it became a {request['kind']} request", kinds
                )
            elif gid not in withdrawn:
                verdict.add("mismatched", f"{name}: the soak never withdrew from this order", kinds)
            if row["acknowledged_at"] is None:
                verdict.add(
                    "lost", f"{name}: the acknowledgement was never sent (acknowledged_at empty)", kinds
                )
        if mail is None:
            continue
        # The e-mails name the order, not the withdrawal: those of one order's withdrawals are counted
        # together, one each.
        for (email, subject), same in _by_acknowledgement(found).items():
            copies = sent[(email, subject)]
            if copies < len(same):
                verdict.add(
                    "lost",
                    f"{gid}: {len(same)} withdrawals acknowledged to {email}, {copies} e-mails sent",
                    kinds,
                )
            elif copies > len(same):
                verdict.add(
                    "duplicated",
                    f"{gid}: {len(same)} withdrawals acknowledged to {email}, {copies} e-mails sent",
                    kinds,
                )
    for gid in withdrawn:
        if gid not in rows:
            verdict.add("lost", f"{gid}: the shopper withdrew, but the portal recorded no withdrawal")
    recorded = {row["request_id"] for row in withdrawals}
    for request in requests:
        if request.get("is_withdrawal") and request["id"] not in recorded:
            verdict.add(
                "mismatched",
                f"request #{request['id']} ({request['kind']}) is a withdrawal with no withdrawal recorded",
                kinds_of_request[request["id"]],
            )


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
    kinds_of_order: Mapping[str, set[str]],
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
        kinds = kinds_of_order.get(gid, set())
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
                verdict.add("mismatched", f"{name}: {problem}", kinds)
        recorded = {_number(record["fulfillment_order_gid"]) for record in mine}
        for fulfillment_order, found in in_store.items():
            if fulfillment_order not in recorded:
                verdict.add(
                    "mismatched",
                    f"{name}: the store shows our hold {found['id']} on "
                    f"FulfillmentOrder/{fulfillment_order}, of which the portal has no record",
                    kinds,
                )
        if in_store:
            reasons = _hold_overdue(mine, by_order.get(gid, []), now)
            if reasons:
                verdict.add(
                    "mismatched", f"{name}: our hold is still on, though " + " and ".join(reasons), kinds
                )

        planted = merchant_holds.get(gid, ())
        present = {hold["id"] for hold in store.get("holds") or []}
        for hold_gid in planted:
            if _number(hold_gid) in present:
                story["merchant holds kept"] += 1
            elif store.get("cancelled_at"):
                story["merchant holds gone with the order's cancel"] += 1
            else:
                verdict.add("mismatched", f"{name}: the merchant's hold {hold_gid} is gone", kinds)

    ours = {_number(record["hold_gid"]) for record in holds if record["hold_gid"]}
    merchants = {_number(hold_gid) for planted in merchant_holds.values() for hold_gid in planted}
    for call in calls:
        if call.get("operation") != "fulfillmentOrderReleaseHold" or call.get("outcome") != "ok":
            continue
        variables = call.get("variables") or {}
        named = [_number(hold_id) for hold_id in variables.get("holdIds") or []]
        if not named:
            verdict.add(
                "mismatched",
                f"a fulfillmentOrderReleaseHold named no hold: every hold on {variables.get('id')} released",
            )
        for number in named:
            if number not in ours:
                whose = "a merchant's" if number in merchants else "no hold the portal placed"
                verdict.add(
                    "mismatched",
                    f"a fulfillmentOrderReleaseHold on {variables.get('id')} released "
                    f"FulfillmentHold/{number}: {whose}",
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
