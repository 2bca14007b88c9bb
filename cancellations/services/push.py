"""Pushing an approved request to Shopify exactly once, whatever fails in between.

The algorithm, one attempt (`request_push`), run by a Celery task and re-run until it says it is done:

1. Claim: under a row lock, an approved request (or a pushing one whose lease is free or expired) becomes
   pushing with a fresh lease token. Nobody else acts on it while the lease holds; every later write
   checks the token (a worker that outlived its lease writes nothing).
2. Read the truth: the order is re-read from Shopify and written to the mirror.
3. Decide from what Shopify shows, never from what we believe:
   - cancelled: ours if we ever recorded the intent to cancel (an earlier attempt's call landed), else
     the store cancelled it: failed, and the shopper is told;
   - shipped: failed, and the shopper is told to ask for a return;
   - a call of ours is unanswered (worker killed, timeout, 5xx) and younger than the settle time: wait
     and read again; Shopify's cancel is asynchronous, so "not cancelled yet" is not "never sent";
   - our call was answered with a job that is still running: wait and read again.
4. Call: first record the intent and the call's start (committed, fenced by the lease), then send; record
   the answer. Shopify saying "already cancelled" after an earlier call of ours means that call landed.
5. Confirm: completed only once Shopify shows it (`cancelledAt` set; the address equal to the request).
   A partial refund follows a confirmed cancel: looked up by note before it is sent, and sent with an
   idempotency key derived from the request, so Shopify refunds once even if it is sent twice.

Transient failures (5xx, timeouts, throttling) end an attempt with a backoff (bounded, then failed);
Shopify's user errors fail at once with Shopify's message. The sweeper re-queues requests whose worker
vanished (`requests_sweep`).
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
from django.db.models import Q
from django.utils import timezone

from cancellations import conf
from cancellations.models import RefundMethod, Request, RequestEvent
from cancellations.policy import push_blocker
from cancellations.queue import enqueue_notification, enqueue_push
from cancellations.services.transitions import Actor, LeaseLost, event_record, request_move
from shopify_sync.client import CancelJob, ShopifyClient
from shopify_sync.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyTransientError,
    ShopifyUserError,
)
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.types import MailingAddress, OrderData

logger = logging.getLogger(__name__)

PUSH = Actor.system("push")

# Test seams: called with the request id at the named point of an attempt. A test uses them to make a
# race happen deterministically (fulfil the order between our read and our call, kill the worker right
# after Shopify answered). Empty in production.
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


# -- the lease -----------------------------------------------------------------------------------------


def _claim(request_id: int, now: datetime) -> tuple[Request, uuid.UUID] | None:
    """Take the request for this worker, or None when it is not ours to push (done, not approved, or
    held by a live lease)."""
    token = uuid.uuid4()
    with transaction.atomic():
        request = (
            Request.objects.select_for_update(of=("self",))
            .select_related("order", "order__shop")
            .get(pk=request_id)
        )
        if request.state not in (Request.State.APPROVED, Request.State.PUSHING):
            return None
        if request.lease_expires_at is not None and request.lease_expires_at > now:
            return None
        from_state = request.state
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
    """Write `fields` only while our lease holds the request; otherwise stop this attempt."""
    updated = Request.objects.filter(
        pk=lease.request.pk, lease_token=lease.token, state=Request.State.PUSHING
    ).update(updated_at=lease.now(), **fields)
    if not updated:
        raise LeaseLost(lease.request.pk)
    for name, value in fields.items():
        setattr(lease.request, name, value)


def _note(lease: _Lease, step: str, **detail: Any) -> None:
    """An audit line for a push step (no state change), written with the step's own fields."""
    event_record(
        lease.request,
        from_state=Request.State.PUSHING,
        to_state=Request.State.PUSHING,
        actor=PUSH,
        at=lease.now(),
        detail={"step": step, **detail},
    )


def _step(lease: _Lease, step: str, detail: dict[str, Any] | None = None, **fields: Any) -> None:
    with transaction.atomic():
        _fenced(lease, **fields)
        _note(lease, step, **(detail or {}))


def _release(lease: _Lease, *, due_in: float | None) -> None:
    fields: dict[str, Any] = {"lease_token": None, "lease_expires_at": None}
    if due_in is not None:
        fields["due_at"] = lease.now() + timedelta(seconds=due_in)
    Request.objects.filter(pk=lease.request.pk, lease_token=lease.token).update(**fields)


# -- outcomes ------------------------------------------------------------------------------------------


def _complete(lease: _Lease, **detail: Any) -> PushOutcome:
    now = lease.now()
    request_move(
        lease.request.pk,
        to=Request.State.COMPLETED,
        actor=PUSH,
        now=now,
        detail=detail,
        lease_token=lease.token,
        completed_at=now,
        last_error="",
    )
    return PushOutcome(Request.State.COMPLETED)


def _fail(lease: _Lease, failure: str, error: str = "", **detail: Any) -> PushOutcome:
    request_move(
        lease.request.pk,
        to=Request.State.FAILED,
        actor=PUSH,
        now=lease.now(),
        detail={"failure": failure, "error": error, **detail},
        lease_token=lease.token,
        failure_code=failure,
        last_error=error,
    )
    return PushOutcome(Request.State.FAILED, detail=failure)


def _wait(lease: _Lease, seconds: float, why: str) -> PushOutcome:
    _release(lease, due_in=seconds)
    return PushOutcome(Request.State.PUSHING, retry_in=seconds, detail=why)


def _transient(lease: _Lease, exc: ShopifyTransientError) -> PushOutcome:
    errors = lease.request.transient_errors + 1
    message = str(exc)
    if errors >= conf.push_max_transient_errors():
        return _fail(lease, Request.Failure.SHOPIFY_UNAVAILABLE, message, transient_errors=errors)
    delay = min(300.0, conf.push_retry_base_seconds() * 2 ** (errors - 1)) * random.uniform(0.5, 1.0)
    _step(
        lease,
        "transient_error",
        {"error": message, "may_have_applied": exc.may_have_applied, "retry_in": round(delay, 2)},
        transient_errors=errors,
        last_error=message,
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
    lease = _Lease(request=request, token=token, client=client or ShopifyClient.from_settings(), now=now)
    outcome = PushOutcome(SKIPPED)
    try:
        try:
            if request.attempts > conf.push_max_attempts():
                outcome = _fail(
                    lease,
                    Request.Failure.SHOPIFY_UNAVAILABLE,
                    f"gave up after {request.attempts - 1} attempts",
                )
            elif request.kind == Request.Kind.CANCEL:
                outcome = _push_cancel(lease)
            else:
                outcome = _push_address(lease)
        except ShopifyTransientError as exc:
            outcome = _transient(lease, exc)
        except ShopifyUserError as exc:
            outcome = _fail(lease, Request.Failure.SHOPIFY_REFUSED, _user_error_message(exc))
        except ShopifyAuthError as exc:
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
    return outcome


def _user_error_message(exc: ShopifyUserError) -> str:
    return "; ".join(str(e) for e in exc.errors) or str(exc)


def _read(lease: _Lease) -> OrderData | None:
    """The order as Shopify shows it now, written to the mirror so the portal shows the truth too."""
    order = lease.client.order(lease.request.order.shopify_gid)
    if order is not None:
        orders_upsert(shop=lease.request.order.shop, orders=[order])
    return order


def _since(moment: datetime | None, now: datetime) -> float:
    return (now - moment).total_seconds() if moment else float("inf")


# -- cancel ----------------------------------------------------------------------------------------------


def staff_note(request: Request) -> str:
    """The note Shopify keeps with the cancel (at most 255 characters)."""
    reason = request.reason_code or "-"
    text = " ".join(request.reason_text.split())
    note = f"Self-service request #{request.pk} by {request.shopper_email or 'the shopper'}: {reason}"
    if text:
        note += f" — {text}"
    return note if len(note) <= 255 else note[:254] + "…"


def refund_note(request: Request) -> str:
    """Identifies our partial refund among the order's refunds."""
    return f"Self-service request #{request.pk}: partial refund"


def refund_idempotency_key(request: Request) -> str:
    return f"portal-request-{request.pk}-refund"


CANCEL_REFUND = {
    RefundMethod.FULL: "original",
    RefundMethod.STORE_CREDIT: "store_credit",
    RefundMethod.NONE: None,
    RefundMethod.PARTIAL: None,  # cancelled without a refund, then refundCreate for the amount
    "": None,
}


def _push_cancel(lease: _Lease) -> PushOutcome:
    request = lease.request
    if request.shopify_confirmed_at is None:
        order = _read(lease)
        if order is None:
            return _fail(lease, Request.Failure.ORDER_GONE)
        _run_hooks("after_read", request.pk)
        outcome = _cancel_unless_done(lease, order)
        if outcome is not None:
            return outcome
    if request.refund == RefundMethod.PARTIAL and not request.shopify_refund_id:
        outcome = _refund_partially(lease)
        if outcome is not None:
            return outcome
    return _complete(lease, refund_id=request.shopify_refund_id or None)


def _confirm(lease: _Lease, order: OrderData, how: str) -> None:
    _step(
        lease,
        "confirmed",
        {"how": how, "cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None},
        shopify_confirmed_at=lease.now(),
    )


def _cancel_unless_done(lease: _Lease, order: OrderData) -> PushOutcome | None:
    """Send orderCancel unless Shopify shows it done (or must not be); None once the cancel is confirmed."""
    request = lease.request
    now = lease.now()
    if order.cancelled_at is not None:
        if request.push_intent_at is not None:
            _confirm(lease, order, "read")
            return None
        return _fail(
            lease, Request.Failure.CANCELLED_IN_STORE, f"cancelled in Shopify ({order.cancel_reason})"
        )
    if push_blocker(order) == "shipped":
        return _fail(lease, Request.Failure.SHIPPED, f"fulfillment status {order.fulfillment_status}")

    if request.answer_lost and _since(request.shopify_call_started_at, now) < conf.push_settle_seconds():
        # Our last call may be under way in Shopify: give it time to show before sending another.
        wait = conf.push_settle_seconds() - _since(request.shopify_call_started_at, now)
        return _wait(lease, max(wait, conf.push_verify_seconds()), "settling")
    if request.shopify_job_id and not request.answer_lost:
        if not lease.client.job_done(request.shopify_job_id):
            if _since(request.shopify_call_started_at, now) > conf.push_confirm_timeout_seconds():
                return _fail(lease, Request.Failure.NOT_CONFIRMED, "Shopify's cancel job did not finish")
            return _wait(lease, conf.push_verify_seconds(), "job running")
        order = _read(lease)
        if order is not None and order.cancelled_at is not None:
            _confirm(lease, order, "job")
            return None
        # The job finished and the order is not cancelled: that call did not cancel it. A new one cannot
        # cancel twice (the order is not cancelled), so it may go out.
        _note(lease, "job_done_without_cancel", job_id=request.shopify_job_id)

    # Record the intent, committed, before anything leaves this process.
    earlier_call = request.push_intent_at is not None
    _step(
        lease,
        "order_cancel_sent",
        {"refund": request.refund, "restock": request.restock, "notify_customer": request.notify_customer},
        push_intent_at=request.push_intent_at or now,
        shopify_call_started_at=now,
        lease_expires_at=now + timedelta(seconds=conf.push_lease_seconds()),
    )
    try:
        job = lease.client.order_cancel(
            order_gid=request.order.shopify_gid,
            refund=CANCEL_REFUND[request.refund],
            restock=request.restock,
            notify_customer=request.notify_customer,
            staff_note=staff_note(request),
            reason="CUSTOMER",
        )
    except ShopifyUserError as exc:
        # Refused: this call changed nothing. Read why, so the shopper hears "it shipped", not "Shopify
        # said no".
        order = _read(lease)
        if _already_cancelled(exc) and earlier_call and order is not None:
            if order.cancelled_at is not None:
                _fenced(lease, shopify_call_answered_at=lease.now())
                _confirm(lease, order, "already cancelled after our earlier call")
                return None
            # Our earlier call's cancel is still under way. The answer stays "lost" on purpose: the next
            # attempt waits the settle time again before anything is sent.
            return _wait(lease, conf.push_settle_seconds(), "earlier cancel pending")
        _fenced(lease, shopify_call_answered_at=lease.now())
        if order is not None and order.cancelled_at is not None:
            return _fail(lease, Request.Failure.CANCELLED_IN_STORE, _user_error_message(exc))
        if order is not None and push_blocker(order) == "shipped":
            return _fail(lease, Request.Failure.SHIPPED, _user_error_message(exc))
        raise
    except ShopifyTransientError as exc:
        if not exc.may_have_applied:
            # The request never reached Shopify (refused connection, 429): nothing to settle.
            _fenced(lease, shopify_call_answered_at=lease.now())
        raise
    _run_hooks("after_call", request.pk)
    _step(
        lease,
        "order_cancel_answered",
        {"job_id": job.job_id, "done": job.done},
        shopify_call_answered_at=lease.now(),
        shopify_job_id=job.job_id or "",
    )
    return _await_cancel(lease, job)


def _await_cancel(lease: _Lease, job: CancelJob) -> PushOutcome | None:
    """Poll the job briefly, then read the order: confirmed, or a later attempt looks again."""
    done = job.done
    for _ in range(conf.job_poll_attempts()):
        if done or not job.job_id:
            break
        time.sleep(conf.job_poll_interval_seconds())
        done = lease.client.job_done(job.job_id)
    order = _read(lease)
    if order is None:
        return _fail(lease, Request.Failure.ORDER_GONE)
    if order.cancelled_at is not None:
        _confirm(lease, order, "after call")
        return None
    return _wait(lease, conf.push_verify_seconds(), "job running")


def _already_cancelled(exc: ShopifyUserError) -> bool:
    return any("already been cancel" in e.message.lower() for e in exc.errors)


def _refund_partially(lease: _Lease) -> PushOutcome | None:
    request = lease.request
    payments = lease.client.order_transactions(request.order.shopify_gid)
    if payments is None:
        return _fail(lease, Request.Failure.ORDER_GONE)
    note = refund_note(request)
    mine = next((r for r in payments.refunds if note in r.note), None)
    if mine is not None:
        _step(lease, "refund_found", {"refund_id": mine.id}, shopify_refund_id=mine.id)
        return None
    captured = payments.captured()
    if not captured:
        return _fail(lease, Request.Failure.SHOPIFY_REFUSED, "no captured payment to refund")
    _step(
        lease,
        "refund_create_sent",
        {"amount": str(request.refund_amount), "parent": captured[0].id},
        refund_intent_at=request.refund_intent_at or lease.now(),
    )
    refund = lease.client.refund_create(
        order_gid=request.order.shopify_gid,
        amount=request.refund_amount,
        currency=payments.presentment_currency,
        parent_transaction=captured[0],
        note=note,
        notify=request.notify_customer,
        idempotency_key=refund_idempotency_key(request),
    )
    _step(lease, "refund_created", {"refund_id": refund.id}, shopify_refund_id=refund.id or "unknown")
    return None


# -- address change --------------------------------------------------------------------------------------

COMPARED_ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "province_code",
    "country_code",
    "zip",
)


def _norm(name: str, value: str | None) -> str:
    value = " ".join((value or "").split()).casefold()
    return value.replace(" ", "") if name == "zip" else value


def same_address(shown: MailingAddress | dict | None, wanted: dict[str, str]) -> bool:
    """Whether Shopify's address is the one asked for, ignoring spacing and case (Shopify tidies both).
    Phone numbers compare by their digits, as Shopify may reformat them."""
    if shown is None:
        return False
    shown = shown.as_dict() if isinstance(shown, MailingAddress) else shown
    if any(_norm(f, shown.get(f)) != _norm(f, wanted.get(f)) for f in COMPARED_ADDRESS_FIELDS):
        return False
    digits_shown = "".join(c for c in shown.get("phone") or "" if c.isdigit())
    digits_wanted = "".join(c for c in wanted.get("phone") or "" if c.isdigit())
    if digits_shown == digits_wanted:
        return True
    # "+1 555 625 1199" and "555-625-1199" are one number: Shopify may add the country code.
    return bool(digits_shown and digits_wanted) and (
        digits_shown.endswith(digits_wanted) or digits_wanted.endswith(digits_shown)
    )


def _push_address(lease: _Lease) -> PushOutcome:
    request = lease.request
    wanted = request.requested_address or {}
    order = _read(lease)
    if order is None:
        return _fail(lease, Request.Failure.ORDER_GONE)
    _run_hooks("after_read", request.pk)
    if same_address(order.shipping_address, wanted):
        return _complete(lease, how="read")
    if order.cancelled_at is not None:
        return _fail(lease, Request.Failure.CANCELLED_IN_STORE, "the order was cancelled")
    if push_blocker(order) == "shipped":
        return _fail(lease, Request.Failure.SHIPPED, f"fulfillment status {order.fulfillment_status}")
    now = lease.now()
    # Setting an address is idempotent: no settle wait is needed before sending it again.
    _step(
        lease,
        "order_update_sent",
        {"address": wanted},
        push_intent_at=request.push_intent_at or now,
        shopify_call_started_at=now,
        lease_expires_at=now + timedelta(seconds=conf.push_lease_seconds()),
    )
    address = MailingAddress(**{name: wanted.get(name, "") for name in MailingAddress.__dataclass_fields__})
    kept = lease.client.order_update_shipping_address(order_gid=request.order.shopify_gid, address=address)
    _run_hooks("after_call", request.pk)
    _step(
        lease,
        "order_update_answered",
        {"kept": kept.as_dict() if kept else None},
        shopify_call_answered_at=lease.now(),
    )
    order = _read(lease)
    if order is not None and same_address(order.shipping_address, wanted):
        _fenced(lease, shopify_confirmed_at=lease.now())
        return _complete(lease, how="after call")
    shown = order.shipping_address.as_dict() if order and order.shipping_address else None
    return _fail(
        lease, Request.Failure.NOT_CONFIRMED, "Shopify kept a different address", shown=shown, wanted=wanted
    )


# -- the sweeper -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SweepResult:
    pushes_queued: int
    emails_queued: int


def requests_sweep(*, now: datetime | None = None, limit: int = 500) -> SweepResult:
    """Re-queue what no worker finished: approved or pushing requests overdue by the grace period whose
    lease is free or expired (broker down at approval, worker killed, a retry that never got queued), and
    e-mails whose event committed but were never sent. Each re-queued request's due time moves on, so a
    slow queue is not flooded with copies."""
    now = now or timezone.now()
    overdue = now - timedelta(seconds=conf.sweep_grace_seconds())
    due = list(
        Request.objects.filter(state__in=[Request.State.APPROVED, Request.State.PUSHING], due_at__lt=overdue)
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    pushes = 0
    for request_id in due:
        if enqueue_push(request_id):
            Request.objects.filter(pk=request_id, due_at__lt=overdue).update(due_at=now)
            pushes += 1
    unsent = list(
        RequestEvent.objects.filter(
            notify=True,
            notified_at__isnull=True,
            at__lt=now - timedelta(seconds=conf.notification_grace_seconds()),
        )
        .order_by("at")
        .values_list("pk", flat=True)[:limit]
    )
    emails = sum(1 for event_id in unsent if enqueue_notification(event_id))
    if pushes or emails:
        logger.info("sweeper re-queued %d pushes and %d e-mails", pushes, emails)
    return SweepResult(pushes_queued=pushes, emails_queued=emails)
