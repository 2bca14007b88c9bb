"""giftCardCreate: the store credit a shopper was promised for keeping their order. Money: the card's code
is derived from the request (`offers.bonus_code`), so the push finds an issued card by searching for its
code before sending, and Shopify refuses a second card with the same code (`TAKEN`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cancellations.models import Request, ShopifyMutation
from cancellations.mutations.base import PENDING, Answer, MutationUnit, Verdict, blocked, read_order, register
from cancellations.offers import bonus_code
from shopify_sync.client import GiftCardRecord
from shopify_sync.errors import ShopifyUserError
from shopify_sync.types import OrderData

if TYPE_CHECKING:
    from shopify_sync.client import ShopifyClient


@dataclass(frozen=True, slots=True)
class CreditTruth:
    order: OrderData
    cards: list[GiftCardRecord]  # the cards with this request's code: none, or the one we issued


@register
class GiftCardCreate(MutationUnit[CreditTruth]):
    operation = ShopifyMutation.Operation.GIFT_CARD_CREATE

    def plan(self, request: Request) -> dict[str, Any]:
        order = request.order
        return {
            "order_gid": order.shopify_gid,
            "customer_gid": order.customer.shopify_gid if order.customer is not None else None,
            "amount": str(request.credit_amount),
            "currency": order.currency,
            "note": f"Self-service request #{request.pk}: thanks for keeping order {order.name}",
        }

    def read(self, client: ShopifyClient, request: Request) -> CreditTruth | None:
        order = read_order(client, request)
        if order is None:
            return None
        return CreditTruth(order, client.gift_cards_with_code(bonus_code(request.pk)))

    def check(self, mutation: ShopifyMutation, truth: CreditTruth, *, sent_before: bool) -> Verdict:
        if truth.cards:
            return Verdict(done=True, result_id=truth.cards[0].id)
        if truth.order.cancelled_at is not None:
            return blocked(Request.Failure.CANCELLED_IN_STORE, "the order was cancelled: no bonus")
        return PENDING

    def send(self, client: ShopifyClient, mutation: ShopifyMutation, truth: CreditTruth) -> Answer:
        card = client.gift_card_create(
            code=bonus_code(mutation.request_id),
            amount=Decimal(mutation.variables["amount"]),
            currency=mutation.variables["currency"],
            customer_gid=mutation.variables["customer_gid"],
            note=mutation.variables["note"],
        )
        return Answer(
            result_id=card.id, detail={"gift_card": card.id, "last_characters": card.last_characters}
        )

    def refusal_may_be_ours(self, exc: ShopifyUserError) -> bool:
        # Our earlier card, not yet found by the search. Shopify answers a code in use with
        # field ["input", "code"], "Code has already been taken" and no error code (recorded on a live
        # store, though the schema lists TAKEN): match either.
        return any(
            error.code == "TAKEN" or (error.field == ("input", "code") and "taken" in error.message.lower())
            for error in exc.errors
        )

    def not_confirmed_message(self, truth: CreditTruth) -> str:
        return "Shopify did not show the gift card"
