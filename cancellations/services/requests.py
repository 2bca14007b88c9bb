"""A shopper asks, a merchant (or the policy) decides: submit, approve, reject, retry; for a return the
merchant may also decide in Shopify's admin (`request_decided_in_shopify`).

Each is one transaction that checks the current state under a lock, writes an audit event, writes the
Shopify calls it makes (its plan: a return's request at submit, a decision's calls with the decision), and
queues its side effects (the push, the e-mails) for after the commit.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations import item_edits
from cancellations.errors import RequestNotAllowed
from cancellations.models import RefundMethod, Request
from cancellations.policy import (
    MESSAGES,
    RETURN_REASONS,
    WITHDRAWAL_OVERRIDES,
    address_verdict,
    order_verdict,
    return_verdict,
)
from cancellations.queue import enqueue_push_on_commit
from cancellations.selectors import account_of, active_reasons, owning_email
from cancellations.services.outbox import plan_reopen, request_plan
from cancellations.services.policies import policy_get_or_create
from cancellations.services.transitions import Actor, event_record, request_move
from shopify_sync.models import Order
from shopify_sync.types import MailingAddress

# Nothing to send: "the same" is `MailingAddress.same_as` (up to the tidying Shopify does). The address
# form shows this message too, before its review step.
ADDRESS_UNCHANGED = _("The new address is the same as the current one.")
# A partial refund needs money that was captured.
REFUNDABLE_FINANCIAL_STATUSES = frozenset(
    {
        Order.FinancialStatus.PAID,
        Order.FinancialStatus.PARTIALLY_PAID,
        Order.FinancialStatus.PARTIALLY_REFUNDED,
    }
)


MODERATE_PERMISSION = "cancellations.moderate_request"


def _language(language: str | None) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    wanted = (language or "").lower().split("-")[0]
    return wanted if wanted in codes else settings.LANGUAGE_CODE


def _clean_address(address: dict[str, Any] | MailingAddress | None) -> dict[str, str]:
    if not address:
        raise RequestNotAllowed(_("Enter the new shipping address."), code="address_missing")
    cleaned = MailingAddress.coerce(address).tidied()
    if not (cleaned.address1 and cleaned.city and cleaned.country_code):
        raise RequestNotAllowed(
            _("The new address needs at least a street, a city and a country."), code="address_incomplete"
        )
    return cleaned.as_dict()


def request_submit(
    *,
    order: Order,
    shopper,
    kind: str,
    reason_code: str = "",
    reason_text: str = "",
    address: dict[str, Any] | MailingAddress | None = None,
    line_changes: list[dict[str, Any]] | None = None,
    edit_preview: dict[str, Any] | None = None,
    excluded_lines: list[str] | None = None,
    return_lines: list[dict[str, Any]] | None = None,
    language: str = "en",
    withdrawal: bool = False,
    now: datetime | None = None,
) -> Request:
    """A shopper asks to cancel `order`, change its shipping address or change its items.

    `withdrawal`: an EU withdrawal from the contract (`services.withdrawals`), a cancel or a return the
    store's windows and conditions do not limit (`policy.WITHDRAWAL_OVERRIDES`), needing no reason, and
    refunded in full when the policy approves it automatically.

    An item edit (`line_changes`, `edit_preview`) comes from `services.item_edits`, which checked the
    changes on the order read live from Shopify and had Shopify price them. `excluded_lines`: the order's
    lines the merchant excludes from self-service, when the caller read them live
    (`services.item_edits.order_exclusions`); a cancel of an order holding one is refused. A return
    (`return_lines`, a `RETURN_REASONS` code) comes from `services.returns`, which checked the lines on the
    order's fulfilments read live.

    Checks that the shopper owns the order (a verified e-mail address of theirs is on it), that the
    policy allows it at `now` (the window included) and that no request of the kind is open; then
    records the request, approving it at once when the policy says so (the push is queued on commit).
    """
    now = now or timezone.now()
    try:
        kind = Request.Kind(kind)
    except ValueError:
        raise RequestNotAllowed(_("Unknown kind of request."), code="bad_kind") from None
    email = owning_email(shopper, order)
    if not email or order.deleted_at is not None:
        raise RequestNotAllowed(_("This order is not one of yours."), code="not_owner")
    policy = policy_get_or_create(shop=order.shop)

    reason_text = (reason_text or "").strip()
    is_return = kind == Request.Kind.RETURN
    reason = (
        active_reasons(policy).filter(code=reason_code).first() if reason_code and not is_return else None
    )
    if is_return and not (return_lines and reason_code in RETURN_REASONS):
        raise RequestNotAllowed(_("Choose the items to return and a reason."), code="no_change")
    if reason_code and reason is None and not is_return:
        raise RequestNotAllowed(_("Choose one of the reasons offered."), code="bad_reason")
    if kind == Request.Kind.CANCEL and reason is None and not withdrawal:
        raise RequestNotAllowed(_("Choose a reason for cancelling."), code="reason_missing")
    if reason is not None and reason.requires_text and not reason_text:
        raise RequestNotAllowed(
            _("Tell the store a little more about your reason."), code="reason_text_missing"
        )

    requested_address = None
    if kind == Request.Kind.ADDRESS_CHANGE:
        requested_address = _clean_address(address)
    if kind == Request.Kind.ITEM_EDIT and not (line_changes and edit_preview):
        raise RequestNotAllowed(_("Choose at least one change."), code="no_change")
    if kind == Request.Kind.CANCEL and excluded_lines and not withdrawal:
        raise RequestNotAllowed(MESSAGES["excluded"], code="excluded")

    with transaction.atomic():
        # Read the order again inside the transaction: the mirror may have moved since the page was shown.
        order = Order.objects.select_related("shop").get(pk=order.pk)
        has_open = Request.objects.filter(
            order=order, kind__in=_conflicting_kinds(kind), state__in=Request.OPEN_STATES
        ).exists()
        if is_return:
            verdict = return_verdict(policy=policy, order=order, now=now, has_open_request=has_open)
        else:
            verdict = order_verdict(
                policy=policy,
                order=order,
                kind=kind,
                now=now,
                has_open_request=has_open,
                fulfillment_in_progress=order.fulfillment_in_progress,
            )
        if not verdict and not (withdrawal and verdict.code in WITHDRAWAL_OVERRIDES):
            raise RequestNotAllowed(verdict.message, code=verdict.code)
        deadline = None if withdrawal else verdict.deadline
        if requested_address is not None:
            verdict = address_verdict(policy=policy, order=order, address=requested_address)
            if not verdict:
                raise RequestNotAllowed(verdict.message, code=verdict.code)
            if MailingAddress.from_dict(requested_address).same_as(order.shipping_address):
                raise RequestNotAllowed(ADDRESS_UNCHANGED, code="address_unchanged")

        request = Request(
            order=order,
            kind=kind,
            state=Request.State.SUBMITTED,
            shopper=account_of(shopper),
            shopper_email=email,
            language=_language(language),
            reason_code=reason_code if is_return else (reason.code if reason else ""),
            reason_text=reason_text,
            requested_address=requested_address,
            previous_address=order.shipping_address,
            line_changes=line_changes if kind == Request.Kind.ITEM_EDIT else None,
            edit_preview=edit_preview if kind == Request.Kind.ITEM_EDIT else None,
            return_lines=return_lines if is_return else None,
            is_withdrawal=withdrawal,
            restock=policy.default_restock,
            notify_customer=policy.notify_customer,
            # A return is asked of Shopify at once (below): the sweeper re-queues it from then on.
            due_at=now if is_return else None,
        )
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError:
            # Another submit for this order and kind won the race between our check and our insert.
            raise RequestNotAllowed(MESSAGES["open_request"], code="open_request") from None
        auto = policy.auto_approves(kind)
        event_record(
            request,
            from_state="",
            to_state=Request.State.SUBMITTED,
            actor=Actor.shopper(shopper),
            at=now,
            detail={
                "reason_code": request.reason_code,
                "deadline": deadline.isoformat() if deadline else None,
            },
            notify=not auto,
        )
        if auto:
            # A withdrawal is refunded in full, to the original payment: the law's rule, not the store's.
            policy_refund = RefundMethod.FULL if withdrawal else policy.default_refund
            refund, refund_amount = _decision(
                request, refund=None, refund_amount=None, policy_refund=policy_refund
            )
            request = _approve(
                request,
                actor=Actor.system("auto-approve"),
                now=now,
                refund=refund,
                refund_amount=refund_amount,
                restock=policy.default_restock,
                notify_customer=policy.notify_customer,
                message="",
                decided_by=None,
            )
        elif request_plan(request=request):
            # A return is opened in Shopify now, as requested, while the store decides (here or there).
            enqueue_push_on_commit(request.pk)
    return request


def keep_bonus_request_create(*, offer, now: datetime) -> Request:
    """The store credit a shopper was promised for keeping their order (a taken `RetentionOffer`), now
    that it shipped: a request approved by the system whose push issues the gift card once. Only its
    completion is e-mailed (with the code); the shopper asked for nothing, so nothing to acknowledge."""
    system = Actor.system("keep-the-order bonus")
    with transaction.atomic():
        request = Request.objects.create(
            order=offer.order,
            kind=Request.Kind.KEEP_BONUS,
            state=Request.State.SUBMITTED,
            shopper=offer.shopper,
            shopper_email=offer.shopper_email,
            language=_language(offer.language),
            reason_code=offer.reason_code,
            credit_amount=offer.bonus_amount,
        )
        event_record(
            request,
            from_state="",
            to_state=Request.State.SUBMITTED,
            actor=system,
            at=now,
            detail={"offer": offer.pk, "bonus": str(offer.bonus_amount)},
        )
        return _approve(
            request,
            actor=system,
            now=now,
            refund=RefundMethod.NONE,
            refund_amount=None,
            restock=False,
            notify_customer=True,
            message="",
            decided_by=None,
            notify=False,
        )


def _require_merchant(user) -> None:
    """The console checks the same permission; checked here too, so no other caller (a shell, a future
    API, a task) can decide without it."""
    if user is None or not (user.is_active and user.is_staff and user.has_perm(MODERATE_PERMISSION)):
        raise RequestNotAllowed(_("Only the store's staff can decide on requests."), code="not_merchant")


ERASED = _("The shopper's personal data was erased at Shopify's request: this change can no longer be sent.")


def _refuse_erased(request: Request) -> None:
    """An address change whose address was erased (`customers/redact`) must never be sent blank."""
    if request.kind == Request.Kind.ADDRESS_CHANGE and not request.requested_address:
        raise RequestNotAllowed(ERASED, code="erased")


def _approve(
    request: Request,
    *,
    actor: Actor,
    now: datetime,
    refund: str,
    refund_amount: Decimal | None,
    restock: bool,
    notify_customer: bool,
    message: str,
    decided_by,
    notify: bool | None = None,
    detail: dict[str, Any] | None = None,
) -> Request:
    _refuse_erased(request)
    # The plan is written in the approval's transaction: never an approved request without its calls.
    with transaction.atomic():
        request = request_move(
            request.pk,
            to=Request.State.APPROVED,
            actor=actor,
            now=now,
            detail={
                "refund": refund,
                "refund_amount": str(refund_amount) if refund_amount is not None else None,
                "restock": restock,
                "notify_customer": notify_customer,
                **(detail or {}),
            },
            refund=refund,
            refund_amount=refund_amount,
            restock=restock,
            notify_customer=notify_customer,
            decision_message=message,
            decided_by=decided_by,
            decided_at=now,
            due_at=now,
            # What a return's pushes in place counted before the decision starts afresh.
            attempts=0,
            transient_errors=0,
            last_error="",
            expect=(Request.State.SUBMITTED,),
            notify=notify,
        )
        request_plan(request=request)
        # A return's request to Shopify that failed while undecided is tried again with the decision.
        plan_reopen(request=request, now=now)
    enqueue_push_on_commit(request.pk)
    return request


def _conflicting_kinds(kind: str) -> list[str]:
    """The open requests that stop a new one of `kind`: its own kind, and for an item edit a cancel too
    (a cancel may still come after an edit: it wins, and the edit's push finds the order cancelled)."""
    if kind == Request.Kind.ITEM_EDIT:
        return [Request.Kind.ITEM_EDIT, Request.Kind.CANCEL]
    return [kind]


def _edit_decision(request: Request, *, refund: str | None, refund_amount: Any) -> tuple[str, Decimal | None]:
    """An item edit refunds the difference Shopify calculated (or less, or nothing: the merchant's
    call), to the original payment, once the edit is in; and only money that was captured."""
    due = item_edits.refund_due(request.edit_preview or {"outstanding": "0"})
    if refund not in (None, "", RefundMethod.PARTIAL, RefundMethod.NONE):
        raise RequestNotAllowed(
            _("An item edit refunds the difference to the original payment, or nothing."), code="bad_refund"
        )
    if refund == RefundMethod.NONE:
        return RefundMethod.NONE, None
    if refund_amount in (None, ""):  # the difference, when there is one to refund
        captured = request.order.financial_status in REFUNDABLE_FINANCIAL_STATUSES
        return (RefundMethod.PARTIAL, due) if due > 0 and captured else (RefundMethod.NONE, None)
    return RefundMethod.PARTIAL, None  # an amount the merchant typed: checked like any partial refund


def _decision(
    request: Request, *, refund: str | None, refund_amount: Any, policy_refund: str
) -> tuple[str, Decimal | None]:
    if request.kind in (Request.Kind.ADDRESS_CHANGE, Request.Kind.RETURN):
        # An address moves no money; a return's refund is the merchant's, once the items are back.
        return RefundMethod.NONE, None
    if request.kind == Request.Kind.ITEM_EDIT:
        refund, amount = _edit_decision(request, refund=refund, refund_amount=refund_amount)
        if refund != RefundMethod.PARTIAL or amount is not None:
            return refund, amount
    refund = refund or policy_refund
    try:
        refund = RefundMethod(refund)
    except ValueError:
        raise RequestNotAllowed(_("Unknown refund method."), code="bad_refund") from None
    if refund != RefundMethod.PARTIAL:
        if refund_amount not in (None, ""):
            raise RequestNotAllowed(_("An amount is only for a partial refund."), code="bad_refund")
        return refund, None
    try:
        amount = Decimal(str(refund_amount))
    except (InvalidOperation, TypeError, ValueError):
        raise RequestNotAllowed(_("Enter the amount to refund."), code="bad_refund_amount") from None
    order = request.order
    if not amount.is_finite() or amount <= 0 or amount > order.total_price_presentment:
        raise RequestNotAllowed(
            _("The amount must be more than zero and at most %(total)s %(currency)s.")
            % {"total": order.total_price_presentment, "currency": order.presentment_currency},
            code="bad_refund_amount",
        )
    if order.financial_status not in REFUNDABLE_FINANCIAL_STATUSES:
        raise RequestNotAllowed(
            _("Nothing was captured on this order, so there is nothing to refund partially."),
            code="bad_refund",
        )
    return refund, amount.quantize(Decimal("0.01"))


def request_approve(
    *,
    request: Request,
    moderator,
    refund: str | None = None,
    refund_amount: Decimal | str | None = None,
    restock: bool | None = None,
    notify: bool | None = None,
    message: str = "",
    now: datetime | None = None,
) -> Request:
    """A merchant approves a submitted request (after the window too: the shopper asked within it).

    `refund` is a `RefundMethod` (a partial refund takes `refund_amount`, in the currency the shopper paid
    in); `None` for any decision means the policy's default. The push is queued on commit.
    """
    _require_merchant(moderator)
    now = now or timezone.now()
    policy = policy_get_or_create(shop=request.order.shop)
    refund, amount = _decision(
        request, refund=refund, refund_amount=refund_amount, policy_refund=policy.default_refund
    )
    return _approve(
        request,
        actor=Actor.merchant(moderator),
        now=now,
        refund=refund,
        refund_amount=amount,
        restock=policy.default_restock if restock is None else restock,
        notify_customer=policy.notify_customer if notify is None else notify,
        message=(message or "").strip(),
        decided_by=moderator,
    )


def request_reject(*, request: Request, moderator, message: str, now: datetime | None = None) -> Request:
    """A merchant says no, with a message the shopper reads (a return is declined in Shopify with it)."""
    _require_merchant(moderator)
    message = (message or "").strip()
    if not message:
        raise RequestNotAllowed(_("Tell the shopper why the request is rejected."), code="message_missing")
    now = now or timezone.now()
    return _reject(
        request,
        actor=Actor.merchant(moderator),
        now=now,
        message=message,
        decided_by=moderator,
        detail={"message": message},
    )


def _reject(
    request: Request, *, actor: Actor, now: datetime, message: str, decided_by, detail: dict[str, Any]
) -> Request:
    # As with an approval, the calls the rejection makes (a return's decline) are planned in its transaction.
    with transaction.atomic():
        request = request_move(
            request.pk,
            to=Request.State.REJECTED,
            actor=actor,
            now=now,
            detail=detail,
            decision_message=message,
            decided_by=decided_by,
            decided_at=now,
            expect=(Request.State.SUBMITTED,),
        )
        if request_plan(request=request):
            Request.objects.filter(pk=request.pk).update(due_at=now)  # for the sweeper, as an approval's
            enqueue_push_on_commit(request.pk)
    return request


# Who decided a return in Shopify's own admin, in the audit trail.
SHOPIFY = Actor("Shopify")


def request_decided_in_shopify(
    *, request: Request, approved: bool, message: str = "", detail: dict[str, Any], now: datetime
) -> Request:
    """The store decided a submitted return in Shopify's own admin (`services.returns` read it there): the
    same moves as a merchant's decision here, by "Shopify". The plan's call for the decision finds Shopify
    showing it already and is confirmed without calling (the approval completes the request). `message`
    is what the shopper reads (Shopify's decline note); raises when the request was decided meanwhile."""
    if not approved:
        return _reject(request, actor=SHOPIFY, now=now, message=message, decided_by=None, detail=detail)
    policy = policy_get_or_create(shop=request.order.shop)
    refund, amount = _decision(request, refund=None, refund_amount=None, policy_refund=policy.default_refund)
    return _approve(
        request,
        actor=SHOPIFY,
        now=now,
        refund=refund,
        refund_amount=amount,
        restock=policy.default_restock,
        notify_customer=policy.notify_customer,
        message=message,
        decided_by=None,
        detail=detail,
    )


def request_retry(*, request: Request, moderator, now: datetime | None = None) -> Request:
    """A merchant sends a failed request again: its failed calls become a new attempt (`plan_reopen`).
    What the push knows about earlier calls (sent, the Shopify job) is kept: the next push reads Shopify
    before deciding whether to call again."""
    _require_merchant(moderator)
    _refuse_erased(Request.objects.get(pk=request.pk))
    now = now or timezone.now()
    with transaction.atomic():
        request = request_move(
            request.pk,
            to=Request.State.APPROVED,
            actor=Actor.merchant(moderator),
            now=now,
            detail={
                "retry": True,
                "previous_failure": request.failure_code,
                "previous_error": request.last_error,
            },
            notify=False,
            expect=(Request.State.FAILED,),
            attempts=0,
            transient_errors=0,
            failure_code="",
            last_error="",
            due_at=now,
        )
        plan_reopen(request=request, now=now)
    enqueue_push_on_commit(request.pk)
    return request


def request_withdraw(*, request: Request, shopper, now: datetime | None = None) -> Request:
    """The shopper takes back a request no one has decided yet. Not a return: it is already asked of
    Shopify (withdrawing it there is the store's to do), and not an EU withdrawal (a legal statement)."""
    if not owning_email(shopper, request.order):
        raise RequestNotAllowed(_("This order is not one of yours."), code="not_owner")
    if request.kind == Request.Kind.RETURN or request.is_withdrawal:
        raise RequestNotAllowed(_("Contact the store to take this request back."), code="not_withdrawable")
    if request.state != Request.State.SUBMITTED:
        raise RequestNotAllowed(_("The store has already decided on this request."), code="decided")
    return request_move(
        request.pk,
        to=Request.State.WITHDRAWN,
        actor=Actor.shopper(shopper),
        now=now or timezone.now(),
        expect=(Request.State.SUBMITTED,),
        notify=False,
    )
