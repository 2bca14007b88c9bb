"""``giftCardCreate``: checked and issued by gift_cards.py (whose docstring says where each refusal's wording
comes from)."""

from __future__ import annotations

from . import gift_cards
from .resolvers import GiftCardNode, ctx
from .resolvers import record_user_errors as _record


class GiftCardMutations:
    def giftCardCreate(self, info, input: dict) -> dict:
        c = ctx(info)
        errors = gift_cards.check_create(c.store, input)
        _record(info, errors)
        if errors:
            return {"giftCard": None, "giftCardCode": None, "userErrors": errors}
        card = gift_cards.issue(c.store, input)
        # The whole code is answered here and nowhere else (GiftCard has only lastCharacters/maskedCode).
        return {"giftCard": GiftCardNode(c, card), "giftCardCode": card["code"], "userErrors": []}
