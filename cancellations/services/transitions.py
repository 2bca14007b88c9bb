"""The one way a request changes state: under a row lock, checked against `Request.TRANSITIONS`, with its
audit event in the same transaction. Every public service builds on `request_move` / `event_record`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations.errors import RequestNotAllowed
from cancellations.models import FulfilmentHold, Request, RequestEvent
from cancellations.policy import MESSAGES
from cancellations.queue import enqueue_holds_after_request_on_commit, enqueue_notification_on_commit
from cancellations.selectors import account_of

SYSTEM = "system"
SHOPPER = "shopper"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a user (shopper or merchant) or the system, with the label the audit shows."""

    label: str
    user: Any = None

    @classmethod
    def shopper(cls, shopper) -> Actor:
        """A signed-in shopper, or a guest with an `OrderPass` (no user: "shopper:guest")."""
        user = account_of(shopper)
        return cls(SHOPPER if user is not None else f"{SHOPPER}:guest", user)

    @classmethod
    def merchant(cls, user) -> Actor:
        return cls(f"merchant:{user.get_username()}", user)

    @classmethod
    def system(cls, why: str = "") -> Actor:
        return cls(f"{SYSTEM}:{why}" if why else SYSTEM)


# The events that e-mail someone (see cancellations.notifications). A submitted request auto-approved in
# the same breath e-mails once, as approved.
NOTIFYING_STATES = frozenset(
    {
        Request.State.SUBMITTED,
        Request.State.APPROVED,
        Request.State.REJECTED,
        Request.State.COMPLETED,
        Request.State.FAILED,
    }
)


def event_record(
    request: Request,
    *,
    from_state: str,
    to_state: str,
    actor: Actor,
    at: datetime,
    detail: dict[str, Any] | None = None,
    notify: bool = False,
) -> RequestEvent:
    """Write an audit event; with `notify`, its e-mails are queued once the transaction commits."""
    event = RequestEvent.objects.create(
        request=request,
        actor=actor.user if actor.user is not None and actor.user.pk else None,
        actor_label=actor.label[:200],
        from_state=from_state,
        to_state=to_state,
        at=at,
        detail=detail or {},
        notify=notify,
    )
    if notify:
        enqueue_notification_on_commit(event.pk)
    return event


def illegal_move(request: Request, to_state: str) -> RequestNotAllowed:
    return RequestNotAllowed(
        _("This request is %(state)s; it cannot become %(target)s.")
        % {"state": request.get_state_display(), "target": Request.State(to_state).label},
        code="illegal_transition",
    )


def request_move(
    request_id: int,
    *,
    to: str,
    actor: Actor,
    now: datetime | None = None,
    detail: dict[str, Any] | None = None,
    notify: bool | None = None,
    lease_token=None,
    expect: tuple[str, ...] | None = None,
    **fields: Any,
) -> Request:
    """Move one request to `to`, setting `fields`, and record the event; raise when the move is illegal,
    or when the request is not in one of the `expect`ed states (a retry is only for a failed request,
    even though an approval may also lead a submitted one to "approved").

    With `lease_token`, the move happens only if that push lease still holds the request (a push worker
    whose lease expired must not finish a request another worker now owns).
    """
    now = now or timezone.now()
    with transaction.atomic():
        request = Request.objects.select_for_update().get(pk=request_id)
        if not request.can_move_to(to) or (expect is not None and request.state not in expect):
            raise illegal_move(request, to)
        if lease_token is not None and request.lease_token != lease_token:
            raise LeaseLost(request_id)
        from_state = request.state
        request.state = to
        for name, value in fields.items():
            setattr(request, name, value)
        if to not in Request.OPEN_STATES:
            request.lease_token = None
            request.lease_expires_at = None
            request.due_at = None
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError as exc:
            # Only the one-open-request constraint can fail here: a failed request retried while the
            # shopper has opened a new one on the same order.
            raise RequestNotAllowed(MESSAGES["open_request"], code="open_request") from exc
        event_record(
            request,
            from_state=from_state,
            to_state=to,
            actor=actor,
            at=now,
            detail=detail,
            notify=(to in NOTIFYING_STATES) if notify is None else notify,
        )
        if to not in Request.OPEN_STATES and _holds_on(request.order_id):
            # The shopper's change is settled: the order may go to the warehouse (`services.holds`).
            enqueue_holds_after_request_on_commit(request.pk)
    return request


def _holds_on(order_id: int) -> bool:
    return FulfilmentHold.objects.filter(order_id=order_id, state=FulfilmentHold.State.HELD).exists()


class LeaseLost(Exception):
    """The push lease on a request expired and another worker took it: stop without writing."""
