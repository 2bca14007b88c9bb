"""What every outbox unit provides, and the registry the push loop looks units up in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from shopify_sync.errors import ShopifyUserError
from shopify_sync.services.mirror import orders_upsert
from shopify_sync.types import OrderData

if TYPE_CHECKING:
    from cancellations.models import Request, ShopifyMutation
    from shopify_sync.client import ShopifyClient

Truth = TypeVar("Truth")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What Shopify's current state says about one planned call.

    done: the effect is there (confirm without calling); `failure`: the call must not be made (a
    `Request.Failure`, e.g. the order shipped); neither: the call is still to be made or awaited.
    """

    done: bool = False
    failure: str = ""
    message: str = ""
    result_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        return bool(self.failure)


DONE = Verdict(done=True)
PENDING = Verdict()


def blocked(failure: str, message: str = "", **detail: Any) -> Verdict:
    return Verdict(failure=failure, message=message, detail=detail)


class Blocked(Exception):
    """Raised by a unit's `send` when Shopify's answer says the call must not go through after all
    (an edit Shopify now prices differently from what the shopper agreed to): nothing was changed, and
    the request fails with `failure` (a `Request.Failure`) for a merchant to see."""

    def __init__(self, failure: str, message: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message


@dataclass(frozen=True, slots=True)
class Answer:
    """Shopify's answer to a call: the job or the object it made, and what is worth keeping of it."""

    result_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    # False when Shopify answered with a job still running (asynchronous operations).
    finished: bool = True


class MutationUnit(ABC, Generic[Truth]):
    """One Shopify operation as the outbox knows it: plan, is-it-done, send.

    `Truth` is what the unit reads from Shopify to decide (the order, or its payments); `read` returns
    None when the order no longer exists.
    """

    operation: ClassVar[str]
    # Shopify answers before the effect shows (a job): an answered call is awaited, not failed, until the
    # effect shows or the confirm timeout passes.
    asynchronous: ClassVar[bool] = False

    def settle_seconds(self) -> float:
        """After a call whose answer was lost, how long Shopify gets to show its effect before the call is
        sent again. Zero where a resend cannot apply twice (same value, or an idempotency key)."""
        return 0.0

    @abstractmethod
    def plan(self, request: Request) -> dict[str, Any]:
        """The call's variables, fixed with the decision (what may only be known later is read at send)."""
        ...

    @abstractmethod
    def read(self, client: ShopifyClient, request: Request) -> Truth | None: ...

    @abstractmethod
    def check(self, mutation: ShopifyMutation, truth: Truth, *, sent_before: bool) -> Verdict:
        """`sent_before`: a call of this row left this process before the one being decided on (so an
        effect Shopify shows may be ours)."""
        ...

    @abstractmethod
    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: Truth) -> Answer: ...

    def refusal_may_be_ours(self, exc: ShopifyUserError) -> bool:
        """Shopify refused a resend in words that mean an earlier call of ours may be under way."""
        return False

    def not_confirmed_message(self, truth: Truth) -> str:
        return "Shopify did not show the change"


def read_order(client: ShopifyClient, request: Request) -> OrderData | None:
    """The order as Shopify shows it now, written to the mirror so the portal shows the truth too."""
    order = client.order(request.order.shopify_gid)
    if order is not None:
        orders_upsert(shop=request.order.shop, orders=[order])
    return order


UNITS: dict[str, MutationUnit[Any]] = {}


def register(unit_class: type[MutationUnit[Any]]) -> type[MutationUnit[Any]]:
    UNITS[unit_class.operation] = unit_class()
    return unit_class


def unit_for(operation: str) -> MutationUnit[Any]:
    return UNITS[operation]
