"""Property: whatever sequence of moves people, workers and sync make, no illegal state is ever reached.

A hypothesis state machine drives the real services (submit, approve, reject, retry), the push's claim
and finish steps, sync reporting an order shipped or cancelled, and raw moves to arbitrary states; after
every step the invariants are checked against the database: the audit trail is a legal path ending in
the stored state, one open request per order and kind, leases only on requests being pushed.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from cancellations.errors import RequestNotAllowed
from cancellations.models import Request, RequestEvent, ShopifyMutation
from cancellations.services import (
    policy_get_or_create,
    request_approve,
    request_reject,
    request_retry,
    request_submit,
    requests_react_to_orders,
)
from cancellations.services.push import _claim
from cancellations.services.transitions import Actor, LeaseLost, request_move
from cancellations.tests.factories import MerchantFactory, OrderFactory, ShopFactory, ShopperFactory
from shopify_sync.models import Order

ADDRESS = {"address1": "5 New Rd", "city": "Toronto", "country_code": "CA"}
STATES = [state.value for state in Request.State]


class RequestLifecycle(RuleBasedStateMachine):
    # The shop, people and orders every example starts from (made once per test, see below).
    world: dict = {}

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown: examples never see each other's rows.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.policy = self.world["policy"]
        self.shopper = self.world["shopper"]
        self.merchant = self.world["merchant"]
        self.orders = self.world["orders"]
        self.now = self.world["now"]
        self.leases: dict[int, uuid.UUID] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _requests(self) -> list[int]:
        return list(Request.objects.order_by("pk").values_list("pk", flat=True))

    def _pick(self, data, states=None) -> Request | None:
        candidates = Request.objects.order_by("pk")
        if states is not None:
            candidates = candidates.filter(state__in=states)
        ids = list(candidates.values_list("pk", flat=True))
        if not ids:
            return None
        return Request.objects.get(pk=data.draw(st.sampled_from(ids)))

    # -- people -------------------------------------------------------------------------------------

    @rule(order=st.integers(0, 1), kind=st.sampled_from(["cancel", "address_change"]), auto=st.booleans())
    def submit(self, order, kind, auto):
        self.policy.auto_approve_cancels = self.policy.auto_approve_address_changes = auto
        self.policy.save()
        with contextlib.suppress(RequestNotAllowed):
            request_submit(
                order=Order.objects.get(pk=self.orders[order].pk),
                shopper=self.shopper,
                kind=kind,
                reason_code="changed_my_mind" if kind == "cancel" else "",
                address=ADDRESS if kind == "address_change" else None,
                now=self.now,
            )

    @rule(data=st.data(), refund=st.sampled_from(["full", "store_credit", "none", "partial"]))
    def approve(self, data, refund):
        request = self._pick(data)
        if request is None:
            return
        before = request.state
        try:
            request_approve(
                request=request,
                moderator=self.merchant,
                refund=refund,
                refund_amount="1.00" if refund == "partial" else None,
            )
        except RequestNotAllowed:
            request.refresh_from_db()
            assert request.state == before  # a refused move changes nothing
        else:
            assert before == Request.State.SUBMITTED

    @rule(data=st.data())
    def reject(self, data):
        request = self._pick(data)
        if request is None:
            return
        with contextlib.suppress(RequestNotAllowed):
            request_reject(request=request, moderator=self.merchant, message="no")

    @rule(data=st.data())
    def retry(self, data):
        request = self._pick(data)
        if request is None:
            return
        before = request.state
        try:
            request_retry(request=request, moderator=self.merchant)
        except RequestNotAllowed:
            pass
        else:
            assert before == Request.State.FAILED

    # -- workers ------------------------------------------------------------------------------------

    @rule(data=st.data(), later=st.booleans())
    def claim(self, data, later):
        request = self._pick(data)
        if request is None:
            return
        now = timezone.now() + (timedelta(hours=1) if later else timedelta(0))  # later: leases expired
        claimed = _claim(request.pk, now)
        if claimed is not None:
            assert request.state in (Request.State.APPROVED, Request.State.PUSHING)
            self.leases[request.pk] = claimed[1]

    @precondition(lambda self: self.leases)
    @rule(
        data=st.data(),
        outcome=st.sampled_from(["completed", "failed", "release"]),
        failure=st.sampled_from(["shipped", "shopify_unavailable"]),
        called=st.booleans(),
    )
    def finish(self, data, outcome, failure, called):
        request_id = data.draw(st.sampled_from(sorted(self.leases)))
        token = self.leases.pop(request_id)
        request = Request.objects.get(pk=request_id)
        try:
            if outcome == "release":
                Request.objects.filter(pk=request_id, lease_token=token).update(lease_token=None)
                return
            fields = {"completed_at": timezone.now()} if outcome == "completed" else {"failure_code": failure}
            if called:  # a mutation went out during this push
                ShopifyMutation.objects.filter(request_id=request_id).update(first_sent_at=timezone.now())
            request_move(request_id, to=outcome, actor=Actor.system("push"), lease_token=token, **fields)
        except (LeaseLost, RequestNotAllowed):
            request.refresh_from_db()
            assert request.lease_token != token or request.state != Request.State.PUSHING

    # -- the store ----------------------------------------------------------------------------------

    @rule(order=st.integers(0, 1), change=st.sampled_from(["shipped", "cancelled"]))
    def order_changes_in_the_store(self, order, change):
        fields = (
            {"fulfillment_status": "fulfilled"}
            if change == "shipped"
            else {"cancelled_at": timezone.now(), "closed": True}
        )
        Order.objects.filter(pk=self.orders[order].pk).update(**fields)
        requests_react_to_orders(order_ids=[self.orders[order].pk])

    # -- anything at all ----------------------------------------------------------------------------

    @rule(data=st.data(), state=st.sampled_from(STATES))
    def arbitrary_move(self, data, state):
        request = self._pick(data)
        if request is None:
            return
        legal = request.can_move_to(state)
        try:
            request_move(request.pk, to=state, actor=Actor.system("chaos"))
        except RequestNotAllowed:
            # refused: illegal, or legal but it would open a second request of its kind on the order
            assert not legal or state in Request.OPEN_STATES
        else:
            assert legal

    # -- invariants ---------------------------------------------------------------------------------

    @invariant()
    def the_database_holds_no_illegal_state(self):
        # Checked after every step of every example, so read once (two queries) and judged in Python.
        requests = list(
            Request.objects.values(
                "pk",
                "order_id",
                "kind",
                "state",
                "lease_token",
                "completed_at",
                "failure_code",
                "decided_at",
                "decision_message",
            )
        )
        moves: dict[int, list[tuple[str, str]]] = defaultdict(list)
        touched_by_chaos: set[int] = set()
        for request_id, from_state, to_state, actor in RequestEvent.objects.order_by("pk").values_list(
            "request_id", "from_state", "to_state", "actor_label"
        ):
            if from_state != to_state:
                moves[request_id].append((from_state, to_state))
            if actor == "system:chaos":
                touched_by_chaos.add(request_id)

        for request in requests:
            self._known_state(request)
            self._audit_trail_is_a_legal_path_to_the_stored_state(request, moves[request["pk"]])
            self._only_a_request_being_pushed_holds_a_lease(request)
            if request["pk"] not in touched_by_chaos:
                self._what_the_services_did_carries_its_facts(request)
        open_pairs = [(r["order_id"], r["kind"]) for r in requests if r["state"] in Request.OPEN_STATES]
        assert len(open_pairs) == len(set(open_pairs)), (
            f"two open requests of a kind on one order: {open_pairs}"
        )

    @staticmethod
    def _known_state(request):
        assert request["state"] in STATES

    @staticmethod
    def _audit_trail_is_a_legal_path_to_the_stored_state(request, path):
        assert path[0] == ("", Request.State.SUBMITTED)
        for (_, previous), (current, target) in itertools.pairwise(path):
            assert previous == current
            assert target in Request.TRANSITIONS[current]
        assert path[-1][1] == request["state"]

    @staticmethod
    def _only_a_request_being_pushed_holds_a_lease(request):
        assert request["lease_token"] is None or request["state"] == Request.State.PUSHING

    @staticmethod
    def _what_the_services_did_carries_its_facts(request):
        # Raw moves ("chaos") set no fields; everything the services and the push did must.
        state = request["state"]
        assert state != Request.State.COMPLETED or request["completed_at"] is not None
        assert state != Request.State.FAILED or request["failure_code"]
        assert state != Request.State.APPROVED or request["decided_at"] is not None
        assert state != Request.State.REJECTED or request["decision_message"]


@pytest.mark.django_db
def test_no_sequence_of_moves_reaches_an_illegal_state(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    now = timezone.now()
    shop = ShopFactory(domain="properties.myshopify.com")
    shopper = ShopperFactory()
    RequestLifecycle.world = {
        "now": now,
        "policy": policy_get_or_create(shop=shop),
        "shopper": shopper,
        "merchant": MerchantFactory(),
        "orders": [
            OrderFactory(
                shop=shop,
                customer=None,
                email=shopper.email,
                processed_at=now - timedelta(minutes=5),
                shipping_address={"address1": "1 Old Rd", "city": "Toronto", "country_code": "CA"},
            )
            for _ in range(2)
        ],
    }
    run_state_machine_as_test(
        RequestLifecycle,
        settings=hypothesis_settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            database=None,  # no .hypothesis/ directory in the project; a failure prints its steps
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
