"""What the order pages show about an order, assembled from the mirror, the policy and the requests.

Nothing is decided here: eligibility is `cancellations.policy.order_verdict`, ownership is
`cancellations.selectors.orders_for_shopper`. This only gathers their answers for a template, using rows
the view prefetched, so a page of orders costs the same queries however many orders it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cancellations import policy as eligibility
from cancellations.models import Policy, Request
from cancellations.services.policies import policy_get_or_create
from portal import addresses, formatting
from shopify_sync.addresses import PARTS, MailingAddress
from shopify_sync.models import Order, Shop

PAYMENT_BADGE_TONE: dict[str, str] = {
    Order.FinancialStatus.PAID: "ok",
    Order.FinancialStatus.PENDING: "warn",
    Order.FinancialStatus.AUTHORIZED: "info",
    Order.FinancialStatus.PARTIALLY_PAID: "warn",
    Order.FinancialStatus.REFUNDED: "info",
    Order.FinancialStatus.PARTIALLY_REFUNDED: "info",
    Order.FinancialStatus.VOIDED: "danger",
    Order.FinancialStatus.EXPIRED: "danger",
}
FULFILLMENT_BADGE_TONE: dict[str, str] = {
    Order.FulfillmentStatus.FULFILLED: "ok",
    Order.FulfillmentStatus.PARTIALLY_FULFILLED: "info",
    Order.FulfillmentStatus.IN_PROGRESS: "info",
    Order.FulfillmentStatus.ON_HOLD: "warn",
    Order.FulfillmentStatus.REQUEST_DECLINED: "warn",
}

# What a shopper should do when a request failed, by the failure's code.
NEXT_STEP_AFTER_FAILURE: dict[str, Promise] = {
    Request.Failure.SHIPPED: _(
        "The order shipped before the change reached the store. Contact the store for a return."
    ),
    Request.Failure.CANCELLED_IN_STORE: _(
        "The store cancelled this order itself. There is nothing more to do."
    ),
    Request.Failure.ORDER_GONE: _(
        "The order no longer exists in the store. Contact the store if this is unexpected."
    ),
    Request.Failure.ORDER_CHANGED: _(
        "The order changed after you checked the new price (an item shipped, or the store changed it), "
        "so nothing was changed. Look at the order again and make a new request if you still want to."
    ),
}
NEXT_STEP_DEFAULT = _(
    "The store has been told and will follow up. You can also contact the store by replying to your "
    "order confirmation email."
)

STEP_LABELS: dict[str, Promise] = {
    Request.State.SUBMITTED: _("Request received"),
    Request.State.APPROVED: _("Approved"),
    Request.State.PUSHING: _("Sent to the store"),
    Request.State.REJECTED: _("Declined by the store"),
    Request.State.FAILED: _("Could not be completed"),
    Request.State.WITHDRAWN: _("Withdrawn by you"),
}
# A return is opened in Shopify at once and decided by the store, here or in Shopify's admin: its steps
# say so in its own words.
RETURN_STEP_LABELS: dict[str, Promise] = {
    Request.State.SUBMITTED: _("Return requested"),
    Request.State.APPROVED: _("Return approved"),
    Request.State.REJECTED: _("Return declined"),
}
RETURN_REQUESTED_MESSAGE = _("The store reviews your return and will tell you here and by e-mail.")
DONE_LABELS: dict[str, Promise] = {
    Request.Kind.CANCEL: _("Done: the order is cancelled"),
    Request.Kind.ADDRESS_CHANGE: _("Done: the new address is on the order"),
    Request.Kind.ITEM_EDIT: _("Done: the order has the new items"),
    Request.Kind.KEEP_BONUS: _("Done: your store credit is sent by e-mail"),
    Request.Kind.RETURN: _("Done: the store expects your items back"),
}
REFUND_TEXT: dict[str, Promise] = {
    "full": _("You will get a full refund to your original payment method."),
    "store_credit": _("You will get a full refund as store credit for this store."),
    "none": _(
        "This store does not refund cancelled orders automatically; it will contact you about payment."
    ),
}


@dataclass
class Action:
    kind: str
    verdict: eligibility.Verdict

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    @property
    def deadline(self) -> datetime | None:
        return self.verdict.deadline if self.allowed else None


@dataclass
class TimelineStep:
    state: str
    label: str | Promise
    at: datetime
    message: str | Promise = ""
    tone: str = ""


@dataclass
class RequestSummary:
    request: Request
    steps: list[TimelineStep] = field(default_factory=list)


class StatusLabels:
    """What the status badges say, translated once per page and status rather than once per card: a
    model's `get_FOO_display` translates every choice of the field on each call (it hashes their lazy
    labels). A status Shopify added since the mirror's choices shows as Shopify's value, as there."""

    def __init__(self) -> None:
        self._labels: dict[tuple[str, str], str] = {}

    def payment(self, status: str) -> str:
        return self._label(Order.FinancialStatus, status)

    def fulfillment(self, status: str) -> str:
        return self._label(Order.FulfillmentStatus, status)

    def _label(self, choices: type[TextChoices], status: str) -> str:
        key = (choices.__name__, status)
        if key not in self._labels:
            self._labels[key] = str(dict(choices.choices).get(status, status))
        return self._labels[key]


@dataclass
class OrderCard:
    order: Order
    cancel: Action
    address: Action
    items: Action
    returns: Action
    withdrawal: Action
    open_requests: list[Request]
    labels: StatusLabels = field(default_factory=StatusLabels)

    @property
    def shop(self) -> Shop:
        return self.order.shop

    @property
    def any_allowed(self) -> bool:
        return self.cancel.allowed or self.address.allowed or self.items.allowed or self.returns.allowed

    @property
    def deadlines(self) -> list[datetime]:
        """The distinct deadlines of the actions on offer (one countdown each), earliest first."""
        actions = (self.cancel, self.address, self.items)
        return sorted({a.deadline for a in actions if a.deadline is not None})

    @property
    def refusal_message(self) -> str | Promise:
        """Why neither action is offered, in one sentence (the cancel's reason comes first)."""
        if self.any_allowed:
            return ""
        return self.cancel.verdict.message

    @property
    def payment_tone(self) -> str:
        return PAYMENT_BADGE_TONE.get(self.order.financial_status, "")

    @property
    def fulfillment_tone(self) -> str:
        return FULFILLMENT_BADGE_TONE.get(self.order.fulfillment_status, "")

    @property
    def payment_label(self) -> str:
        return self.labels.payment(self.order.financial_status)

    @property
    def fulfillment_label(self) -> str:
        return self.labels.fulfillment(self.order.fulfillment_status)


class PolicyCache:
    """One policy read per shop per page (the same one `request_submit` will use)."""

    def __init__(self) -> None:
        self._by_shop: dict[int, Policy] = {}

    def __call__(self, shop: Shop) -> Policy:
        if shop.pk not in self._by_shop:
            self._by_shop[shop.pk] = policy_get_or_create(shop=shop)
        return self._by_shop[shop.pk]


def _verdict(
    policy: Policy, order: Order, kind: str, now: datetime, open_requests: list[Request]
) -> eligibility.Verdict:
    # as `request_submit` counts them: per kind, and an open cancel stops an item edit
    conflicting = {kind, Request.Kind.CANCEL} if kind == Request.Kind.ITEM_EDIT else {kind}
    has_open = any(r.kind in conflicting for r in open_requests)
    return eligibility.order_verdict(
        policy=policy,
        order=order,
        kind=kind,
        now=now,
        has_open_request=has_open,
        fulfillment_in_progress=order.fulfillment_in_progress,
    )


def order_card(
    order: Order, *, policies: PolicyCache, now: datetime, labels: StatusLabels | None = None
) -> OrderCard:
    """Uses `order.cancellation_requests.all()` and `order.fulfillment_orders.all()`: prefetch them. A page
    of several cards passes one `labels` to them all."""
    requests = list(order.cancellation_requests.all())
    open_requests = [r for r in requests if r.is_open]
    policy = policies(order.shop)
    return OrderCard(
        order=order,
        cancel=Action(Request.Kind.CANCEL, _verdict(policy, order, Request.Kind.CANCEL, now, open_requests)),
        address=Action(
            Request.Kind.ADDRESS_CHANGE,
            _verdict(policy, order, Request.Kind.ADDRESS_CHANGE, now, open_requests),
        ),
        items=Action(
            Request.Kind.ITEM_EDIT, _verdict(policy, order, Request.Kind.ITEM_EDIT, now, open_requests)
        ),
        returns=Action(
            Request.Kind.RETURN,
            eligibility.return_verdict(
                policy=policy,
                order=order,
                now=now,
                has_open_request=any(r.kind == Request.Kind.RETURN for r in open_requests),
            ),
        ),
        withdrawal=Action("withdrawal", _withdrawal_verdict(policy, order, now, open_requests)),
        open_requests=open_requests,
        labels=labels if labels is not None else StatusLabels(),
    )


# The mirror keeps no delivery dates, so the page offers the withdrawal button until no delivery could
# still be within its period (this long after the order); the withdrawal page reads the real deliveries.
LONGEST_DELIVERY = timedelta(days=90)


def _withdrawal_verdict(
    policy: Policy, order: Order, now: datetime, open_requests: list[Request]
) -> eligibility.Verdict:
    verdict = eligibility.withdrawal_verdict(
        policy=policy,
        order=order,
        now=now,
        has_open_request=any(r.kind in (Request.Kind.CANCEL, Request.Kind.RETURN) for r in open_requests),
    )
    late = order.processed_at + LONGEST_DELIVERY + timedelta(days=policy.withdrawal_days)
    if verdict and now > late:
        return eligibility.Verdict("withdrawal_over", eligibility.MESSAGES["withdrawal_over"])
    return verdict


def request_summary(request: Request) -> RequestSummary:
    """The request's timeline from its audit events (prefetch `events`): transitions only, oldest first."""
    summary = RequestSummary(request=request)
    events = sorted(request.events.all(), key=lambda e: (e.at, e.pk))
    transitions = [e for e in events if e.is_transition]
    if not transitions:  # a request written without an event still shows that it was received
        summary.steps.append(
            TimelineStep(Request.State.SUBMITTED, STEP_LABELS[Request.State.SUBMITTED], request.created_at)
        )
    for event in transitions:
        state = event.to_state
        step = TimelineStep(state=state, label=STEP_LABELS.get(state, state), at=event.at)
        if state == Request.State.COMPLETED:
            step.label, step.tone = DONE_LABELS.get(request.kind, _("Done")), "ok"
        elif state == Request.State.REJECTED:
            step.tone = "danger"
            step.message = request.decision_message or _(
                "The store did not give a reason. Contact the store if you have questions."
            )
        elif state == Request.State.FAILED:
            step.tone = "danger"
            step.message = NEXT_STEP_AFTER_FAILURE.get(request.failure_code, NEXT_STEP_DEFAULT)
        summary.steps.append(step)
    if request.kind == Request.Kind.RETURN:
        for step in summary.steps:
            _return_step(request, step)
    return summary


def _return_step(request: Request, step: TimelineStep) -> None:
    """A return's step in its own words: requested (while the store decides), approved (with the store's
    message, if any), declined (its message is a decline's, as for every kind)."""
    step.label = RETURN_STEP_LABELS.get(step.state, step.label)
    if step.state == Request.State.SUBMITTED and request.state == Request.State.SUBMITTED:
        step.message = RETURN_REQUESTED_MESSAGE
    elif step.state == Request.State.APPROVED and request.decision_message:
        step.message = request.decision_message


def refund_text(policy: Policy) -> str | Promise:
    return REFUND_TEXT.get(policy.default_refund, REFUND_TEXT["full"])


def time_left(deadline: datetime, now: datetime) -> str:
    return formatting.time_left(deadline - now)


def _display(address: MailingAddress, part: str) -> str:
    """One part of an address as the shopper reads it (country and province in their language)."""
    country = address.country_code.upper()
    if part == "country":
        return addresses.country_name(country) if country else address.country.strip()
    if part == "province":
        # The store's own spelling ("Seoul") unless the shopper reads another language than English.
        code = address.province_code
        stored = address.province.strip()
        if code and (not stored or not (get_language() or "en").startswith("en")):
            return addresses.province_name(country, code)
        return stored
    return getattr(address, part).strip()


# One row per part of an address (`shopify_sync.addresses.PARTS`) on the review page.
ADDRESS_PART_LABELS: dict[str, Promise] = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "company": _("Company"),
    "address1": _("Address"),
    "address2": _("Apartment, suite, etc."),
    "city": _("City"),
    "province": _("State, province or region"),
    "zip": _("Postal code"),
    "country": _("Country or region"),
    "phone": _("Phone"),
}


def address_comparison(current: MailingAddress, new: MailingAddress) -> list[dict]:
    """Old versus new, part by part, for the review step ("changed" as `MailingAddress.same_as` sees it)."""
    changed = set(new.changed_parts(current))
    return [
        {
            "label": ADDRESS_PART_LABELS[part],
            "old": _display(current, part),
            "new": _display(new, part),
            "changed": part in changed,
        }
        for part in PARTS
    ]


def address_lines(address: MailingAddress | dict | None) -> list[str]:
    """An address as lines on an envelope (a stored address is a dict of `MailingAddress` fields)."""
    if not address:
        return []
    address = MailingAddress.coerce(address)
    name = " ".join(
        part for part in (_display(address, "first_name"), _display(address, "last_name")) if part
    )
    city, province = _display(address, "city"), _display(address, "province")
    if province.casefold() == city.casefold():
        province = ""  # "Seoul Seoul 03187" says nothing more than "Seoul 03187"
    city_line = " ".join(part for part in (city, province, _display(address, "zip")) if part)
    lines = [
        name,
        _display(address, "company"),
        _display(address, "address1"),
        _display(address, "address2"),
        city_line,
        _display(address, "country"),
        _display(address, "phone"),
    ]
    return [line for line in lines if line]
