"""Pushing an approved request to Shopify exactly once, whatever fails in between: the outbox loop.

A request's plan is its `ShopifyMutation` rows, written with the approval. One attempt (`request_push`),
run by a Celery task and re-run until it says it is done:

1. Claim: under a row lock, an approved request (or a pushing one whose lease is free or expired) becomes
   pushing with a fresh lease token. Nobody else acts on it while the lease holds; every later write
   checks the token (a worker that outlived its lease writes nothing).
2. For each row not yet confirmed, in order, with its operation's unit (`cancellations.mutations`):
   - read the truth from Shopify (the order, written to the mirror; or its payments);
   - decide from what Shopify shows, never from what we believe: the effect is there (confirm without
     calling), or the call must not be made (the order shipped, or the store cancelled it: the request
     fails and the shopper is told), or it is still to be made;
   - a call of ours whose answer was lost (worker killed, timeout, 5xx) and is younger than the unit's
     settle time: wait and read again (Shopify's cancel is asynchronous, so "not cancelled yet" is not
     "never sent"); an answered job still running: wait and read again;
   - send: first record the intent (committed, fenced by the lease), then call, then record the answer;
     confirm once Shopify shows the effect.
3. When every row is confirmed the request completes; when one fails, the request fails with it.

A shopper's return asks Shopify before (and without) an approval: its `returnRequest` is planned at submit,
its `returnDeclineRequest` once rejected. Such rows are pushed "in place": the same loop, claimed under the
same lease, but the request keeps its state (`Request.PUSHED_IN_PLACE`: submitted or rejected) and every
write is fenced by that state too. So a decision arriving mid-attempt stops it at its next write (the
decision's own push takes over once the lease is free); all rows confirmed leaves the request as it was; a
row that fails fails alone (with Shopify's message, for the merchant who decides), never the request.

Transient failures (5xx, timeouts, throttling) end an attempt with a backoff (bounded, then failed);
Shopify's user errors fail at once with Shopify's message. The sweeper re-queues requests whose worker
vanished (`services/sweep.py`).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from cancellations import conf
from cancellations.models import REDACTED, Request, ShopifyMutation
from cancellations.mutations import Answer, Blocked, MutationUnit, Verdict, unit_for
from cancellations.queue import enqueue_push_on_commit
from cancellations.services.transitions import Actor, LeaseLost, event_record, request_move
from shopify_sync.client import ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyShopUnavailable,
    ShopifyTransientError,
    ShopifyUserError,
)

logger = logging.getLogger(__name__)

PUSH = Actor.system("push")

# Test seams: called with the request id at the named point of an attempt. A test uses them to make a
# race happen deterministically (fulfil the order between our read and our call, kill the worker right
# after Shopify answered a call). Empty in production.
HOOKS: dict[str, list[Callable[[int], None]]] = {"after_read": [], "after_call": []}


def _run_hooks(point: str, request_id: int) -> None:
    for hook in HOOKS[point]:
        hook(request_id)


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """What an attempt left behind. `retry_in`: run another attempt after that many seconds."""

    state: str  # the request's state, or "skipped" when this attempt could not claim it
    retry_in: float | None = None
    detail: str = ""


SKIPPED = "skipped"


@dataclass(slots=True)
class _Lease:
    request: Request
    token: uuid.UUID
    client: ShopifyClient
    now: Callable[[], datetime]
    current: ShopifyMutation | None = None  # the row this attempt is working on

    @property
    def state(self) -> str:
        """The state the lease holds the request in: pushing, or the state it is pushed in place in."""
        return self.request.state

    @property
    def in_place(self) -> bool:
        return self.request.state in Request.PUSHED_IN_PLACE


# -- the lease -----------------------------------------------------------------------------------------


def _claim(request_id: int, now: datetime) -> tuple[Request, uuid.UUID] | None:
    """Take the request for this worker, or None when it is not ours to push (done, not approved and with
    nothing to push in place, or held by a live lease). An approved request becomes pushing; one pushed in
    place keeps its state."""
    token = uuid.uuid4()
    with transaction.atomic():
        request = (
            Request.objects.select_for_update(of=("self",))
            .select_related("order", "order__shop")
            .get(pk=request_id)
        )
        if request.state in Request.PUSHED_IN_PLACE:
            if not request.mutations.filter(state__in=ShopifyMutation.UNSETTLED_STATES).exists():
                return None
        elif request.state not in (Request.State.APPROVED, Request.State.PUSHING):
            return None
        if request.lease_expires_at is not None and request.lease_expires_at > now:
            return None
        from_state = request.state
        if request.state not in Request.PUSHED_IN_PLACE:
            request.state = Request.State.PUSHING
        request.lease_token = token
        request.lease_expires_at = now + timedelta(seconds=conf.push_lease_seconds())
        request.attempts += 1
        request.save(update_fields=["state", "lease_token", "lease_expires_at", "attempts", "updated_at"])
        if from_state != request.state:
            event_record(
                request, from_state=from_state, to_state=request.state, actor=PUSH, at=now, notify=False
            )
    return request, token


def _fenced(lease: _Lease, **fields: Any) -> None:
    """Write `fields` only while our lease holds the request in the state it was claimed in; otherwise
    stop this attempt."""
    updated = Request.objects.filter(pk=lease.request.pk, lease_token=lease.token, state=lease.state).update(
        updated_at=lease.now(), **fields
    )
    if not updated:
        raise LeaseLost(lease.request.pk)
    for name, value in fields.items():
        setattr(lease.request, name, value)


def _note(lease: _Lease, step: str, **detail: Any) -> None:
    """An audit line for a push step (no state change)."""
    mutation = lease.current
    if mutation is not None:
        detail = {"operation": mutation.operation, "mutation": mutation.pk, **detail}
    event_record(
        lease.request,
        from_state=lease.state,
        to_state=lease.state,
        actor=PUSH,
        at=lease.now(),
        detail={"step": step, **detail},
    )


def _row(
    lease: _Lease,
    mutation: ShopifyMutation,
    step: str | None,
    detail: dict[str, Any] | None = None,
    *,
    request_fields: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    """Write the row's `fields` (and the request's), fenced by the lease, with an audit line for `step`."""
    with transaction.atomic():
        _fenced(lease, **(request_fields or {}))
        ShopifyMutation.objects.filter(pk=mutation.pk).update(updated_at=lease.now(), **fields)
        for name, value in fields.items():
            setattr(mutation, name, value)
        if step is not None:
            _note(lease, step, **(detail or {}))


def _release(lease: _Lease, *, due_in: float | None) -> None:
    fields: dict[str, Any] = {"lease_token": None, "lease_expires_at": None}
    if due_in is not None:
        fields["due_at"] = lease.now() + timedelta(seconds=due_in)
    Request.objects.filter(pk=lease.request.pk, lease_token=lease.token).update(**fields)


# -- outcomes ------------------------------------------------------------------------------------------


def _complete(lease: _Lease) -> PushOutcome:
    now = lease.now()
    results = dict(lease.request.mutations.order_by("position").values_list("operation", "result_id"))
    request_move(
        lease.request.pk,
        to=Request.State.COMPLETED,
        actor=PUSH,
        now=now,
        detail={"results": results},
        lease_token=lease.token,
        completed_at=now,
        last_error="",
    )
    return PushOutcome(Request.State.COMPLETED)


def _fail(lease: _Lease, failure: str, error: str = "", **detail: Any) -> PushOutcome:
    """The request fails, and with it the row this attempt was on (a merchant sees both and may retry).
    Pushed in place, only the row fails: the request waits for (or keeps) its decision, and the failed row
    is in its audit trail and on its page; an approval plans it again."""
    now = lease.now()
    mutation = lease.current
    if lease.in_place:
        if mutation is not None:
            rows = ShopifyMutation.objects.filter(pk=mutation.pk)
        else:  # before any row (too many attempts, the app uninstalled): all of them, or the sweeper
            # would claim the request again and again
            rows = lease.request.mutations.filter(state__in=ShopifyMutation.UNSETTLED_STATES)
        with transaction.atomic():
            _fenced(lease, last_error=error or failure)
            rows.update(state=ShopifyMutation.State.FAILED, error=error or failure, updated_at=now)
            _note(lease, "failed", failure=failure, error=error, **detail)
        return PushOutcome(lease.state, detail=failure)
    with transaction.atomic():
        if mutation is not None:
            ShopifyMutation.objects.filter(pk=mutation.pk).update(
                state=ShopifyMutation.State.FAILED, error=error or failure, updated_at=now
            )
            detail = {"operation": mutation.operation, "mutation": mutation.pk, **detail}
        request_move(
            lease.request.pk,
            to=Request.State.FAILED,
            actor=PUSH,
            now=now,
            detail={"failure": failure, "error": error, **detail},
            lease_token=lease.token,
            failure_code=failure,
            last_error=error,
        )
    return PushOutcome(Request.State.FAILED, detail=failure)


def _wait(lease: _Lease, seconds: float, why: str) -> PushOutcome:
    _release(lease, due_in=seconds)
    return PushOutcome(lease.state, retry_in=seconds, detail=why)


def _transient(lease: _Lease, exc: ShopifyTransientError) -> PushOutcome:
    errors = lease.request.transient_errors + 1
    message = str(exc)
    if errors >= conf.push_max_transient_errors():
        return _fail(lease, Request.Failure.SHOPIFY_UNAVAILABLE, message, transient_errors=errors)
    delay = min(300.0, conf.push_retry_base_seconds() * 2 ** (errors - 1)) * random.uniform(0.5, 1.0)
    with transaction.atomic():
        _fenced(lease, transient_errors=errors, last_error=message)
        _note(
            lease,
            "transient_error",
            error=message,
            may_have_applied=exc.may_have_applied,
            retry_in=round(delay, 2),
        )
    return _wait(lease, delay, "transient")


# -- the attempt ---------------------------------------------------------------------------------------


def request_push(
    *,
    request_id: int,
    client: ShopifyClient | None = None,
    now: Callable[[], datetime] = timezone.now,
) -> PushOutcome:
    """One push attempt for `request_id`; see the module's docstring. Safe to run any number of times,
    concurrently or after a crash at any line: it never sends a mutation Shopify may already have."""
    claimed = _claim(request_id, now())
    if claimed is None:
        return PushOutcome(SKIPPED)
    request, token = claimed
    lease = _Lease(request=request, token=token, client=client or client_for(request.order.shop), now=now)
    outcome = PushOutcome(SKIPPED)
    try:
        try:
            if request.attempts > conf.push_max_attempts():
                outcome = _fail(
                    lease,
                    Request.Failure.SHOPIFY_UNAVAILABLE,
                    f"gave up after {request.attempts - 1} attempts",
                )
            elif not request.order.shop.installed:
                outcome = _fail(
                    lease,
                    Request.Failure.SHOPIFY_UNAVAILABLE,
                    f"the app is uninstalled from {request.order.shop.domain}: install it again, then retry",
                )
            else:
                outcome = _push_plan(lease)
        except ShopifyTransientError as exc:
            outcome = _transient(lease, exc)
        except ShopifyUserError as exc:
            outcome = _fail(lease, Request.Failure.SHOPIFY_REFUSED, _user_error_message(exc))
        except (ShopifyAuthError, ShopifyShopUnavailable) as exc:
            outcome = _fail(lease, Request.Failure.SHOPIFY_UNAVAILABLE, str(exc))
        except (ShopifyGraphQLError, ShopifyError) as exc:
            outcome = _fail(lease, Request.Failure.SHOPIFY_REFUSED, str(exc))
    except LeaseLost:
        logger.warning("push of request %s lost its lease; another worker has it", request_id)
        outcome = PushOutcome(SKIPPED, detail="lease lost")
    finally:
        if outcome.retry_in is None:
            # Completed and failed requests have no lease left; anything else (an unexpected error
            # included) frees it at once, so the next task or the sweeper can take the request.
            _release(lease, due_in=None)
        if lease.in_place and Request.objects.filter(pk=request_id).exclude(state=lease.state).exists():
            # Decided while this attempt held it in place: the decision's push found our lease and
            # skipped, so queue it again now that the lease is free.
            enqueue_push_on_commit(request_id)
    return outcome


def _user_error_message(exc: ShopifyUserError) -> str:
    return "; ".join(str(e) for e in exc.errors) or str(exc)


def _since(moment: datetime | None, now: datetime) -> float:
    return (now - moment).total_seconds() if moment else float("inf")


def _push_plan(lease: _Lease) -> PushOutcome:
    """Advance the plan row by row; a row that is not confirmed by the end of its step stops the attempt.
    In place, failed rows wait for a decision, and a plan all confirmed leaves the request as it is."""
    rows = lease.request.mutations.exclude(state=ShopifyMutation.State.CONFIRMED).order_by("position")
    if lease.in_place:
        rows = rows.filter(state__in=ShopifyMutation.UNSETTLED_STATES)
    for mutation in rows:
        lease.current = mutation
        outcome = _advance(lease, mutation, unit_for(mutation.operation))
        if outcome is not None:
            return outcome
    lease.current = None
    if lease.in_place:
        return PushOutcome(lease.state)
    return _complete(lease)


def _advance(lease: _Lease, mutation: ShopifyMutation, unit: MutationUnit[Any]) -> PushOutcome | None:
    """Confirm, await or send one row; None once it is confirmed (the next row may go)."""
    if mutation.variables.get(REDACTED):
        return _fail(
            lease, Request.Failure.SHOPIFY_REFUSED, "the shopper's data was erased (customers/redact)"
        )
    truth = unit.read(lease.client, lease.request)
    if truth is None:
        return _fail(lease, Request.Failure.ORDER_GONE)
    _run_hooks("after_read", lease.request.pk)
    sent_before = mutation.first_sent_at is not None
    verdict = unit.check(mutation, truth, sent_before=sent_before)
    if verdict.done:
        _confirm(lease, mutation, verdict, how="read")
        return None
    if verdict.blocked:
        return _fail(lease, verdict.failure, verdict.message, **verdict.detail)

    now = lease.now()
    settle = unit.settle_seconds()
    if mutation.answer_lost and _since(mutation.sent_at, now) < settle:
        # Our last call may be under way in Shopify: give it time to show before sending another.
        return _wait(
            lease, max(settle - _since(mutation.sent_at, now), conf.push_verify_seconds()), "settling"
        )
    if unit.asynchronous and mutation.state == ShopifyMutation.State.ANSWERED and mutation.result_id:
        if not lease.client.job_done(mutation.result_id):
            if _since(mutation.sent_at, now) > conf.push_confirm_timeout_seconds():
                return _fail(lease, Request.Failure.NOT_CONFIRMED, unit.not_confirmed_message(truth))
            return _wait(lease, conf.push_verify_seconds(), "job running")
        truth = unit.read(lease.client, lease.request)
        if truth is None:
            return _fail(lease, Request.Failure.ORDER_GONE)
        verdict = unit.check(mutation, truth, sent_before=True)
        if verdict.done:
            _confirm(lease, mutation, verdict, how="job")
            return None
        if verdict.blocked:
            return _fail(lease, verdict.failure, verdict.message, **verdict.detail)
        # The job finished and the order does not show the effect: Shopify gave up on it (a Job has no
        # error field in 2026-07; the order is the only witness). Sending again would most likely fail the
        # same way, up to the attempt limit: the request fails with the reason, for a merchant to look at.
        return _fail(
            lease,
            Request.Failure.NOT_CONFIRMED,
            f"Shopify's job {mutation.result_id} finished without the change: "
            f"{unit.not_confirmed_message(truth)}",
            job_id=mutation.result_id,
        )
    return _send(lease, mutation, unit, truth, sent_before=sent_before)


def _confirm(lease: _Lease, mutation: ShopifyMutation, verdict: Verdict, *, how: str) -> None:
    _row(
        lease,
        mutation,
        "confirmed",
        {"how": how, "result_id": verdict.result_id or mutation.result_id or None},
        state=ShopifyMutation.State.CONFIRMED,
        confirmed_at=lease.now(),
        result_id=verdict.result_id or mutation.result_id,
        error="",
    )


def _send(
    lease: _Lease, mutation: ShopifyMutation, unit: MutationUnit[Any], truth: Any, *, sent_before: bool
) -> PushOutcome | None:
    now = lease.now()
    state_before = mutation.state
    # Record the intent, committed, before anything leaves this process.
    _row(
        lease,
        mutation,
        "sent",
        {"attempt": mutation.attempt, "send": mutation.sends + 1},
        request_fields={"lease_expires_at": now + timedelta(seconds=conf.push_lease_seconds())},
        state=ShopifyMutation.State.SENT,
        sends=mutation.sends + 1,
        first_sent_at=mutation.first_sent_at or now,
        sent_at=now,
    )
    try:
        answer = unit.send(lease.client, mutation, truth)
    except Blocked as exc:
        _row(lease, mutation, None, state=state_before, answered_at=lease.now())
        return _fail(lease, exc.failure, exc.message)
    except ShopifyUserError as exc:
        return _refused(lease, mutation, unit, exc, sent_before=sent_before)
    except ShopifyShopUnavailable:
        # Refused before anything ran (the shop is frozen, locked or gone): the call is not "sent".
        _row(lease, mutation, None, state=state_before, answered_at=lease.now())
        raise
    except ShopifyTransientError as exc:
        if not exc.may_have_applied:
            # The call never reached Shopify (refused connection, 429): nothing to settle.
            _row(lease, mutation, None, state=state_before, answered_at=lease.now())
        raise
    _run_hooks("after_call", lease.request.pk)
    _row(
        lease,
        mutation,
        "answered",
        answer.detail,
        state=ShopifyMutation.State.ANSWERED,
        answered_at=lease.now(),
        result_id=answer.result_id,
        answer=answer.detail,
    )
    return _await(lease, mutation, unit, answer)


def _await(
    lease: _Lease, mutation: ShopifyMutation, unit: MutationUnit[Any], answer: Answer
) -> PushOutcome | None:
    """Poll a job briefly, then read: confirmed, or (asynchronous) a later attempt looks again."""
    finished = answer.finished
    for _ in range(conf.job_poll_attempts()):
        if finished or not answer.result_id:
            break
        time.sleep(conf.job_poll_interval_seconds())
        finished = lease.client.job_done(answer.result_id)
    truth = unit.read(lease.client, lease.request)
    if truth is None:
        return _fail(lease, Request.Failure.ORDER_GONE)
    verdict = unit.check(mutation, truth, sent_before=True)
    if verdict.done:
        _confirm(lease, mutation, verdict, how="after call")
        return None
    if unit.asynchronous:
        return _wait(lease, conf.push_verify_seconds(), "job running")
    return _fail(lease, Request.Failure.NOT_CONFIRMED, unit.not_confirmed_message(truth), **verdict.detail)


def _refused(
    lease: _Lease,
    mutation: ShopifyMutation,
    unit: MutationUnit[Any],
    exc: ShopifyUserError,
    *,
    sent_before: bool,
) -> PushOutcome | None:
    """Shopify refused the call: it changed nothing. Read why, so the shopper hears "it shipped", not
    "Shopify said no"; and an earlier call of ours may be why (already cancelled)."""
    truth = unit.read(lease.client, lease.request)
    verdict = unit.check(mutation, truth, sent_before=sent_before) if truth is not None else None
    if verdict is not None and verdict.done and sent_before:
        _row(lease, mutation, None, answered_at=lease.now())
        _confirm(lease, mutation, verdict, how="refused after our earlier call")
        return None
    if verdict is not None and sent_before and unit.refusal_may_be_ours(exc):
        # Our earlier call's effect is still under way. The answer stays "lost" on purpose: the next
        # attempt waits the settle time again before anything is sent.
        return _wait(lease, unit.settle_seconds(), "earlier call pending")
    _row(lease, mutation, None, answered_at=lease.now(), answer={"user_errors": _user_error_message(exc)})
    if verdict is not None and verdict.blocked:
        return _fail(lease, verdict.failure, _user_error_message(exc))
    raise exc
