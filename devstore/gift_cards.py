"""Gift cards as ``giftCardCreate`` issues them: the record, the checks Shopify makes on the input, the
filters ``giftCards(query:)`` understands and the control API's REST shape.

A gift card record (plain JSON, kept in the state file)::

    {"id", "code", "currency", "initial_value", "balance", "customer_id", "note", "expires_on",
     "template_suffix", "enabled", "deactivated_at", "created_at", "updated_at"}

Amounts are decimal strings in the card's own currency. Shopify keeps codes lower-case and answers with
them so: a public capture of live Shopify (airhorns/shopify-draft-proxy,
fixtures/conformance/.../gift-cards/gift-card-mutation-user-error-codes.json) creates ``MUEmr410347`` and
gets back ``giftCardCode: "muemr410347"``; its generated codes are 16 lower-case letters and digits
(``cbe777g276h467gg``). Codes are unique per shop; the check and the insert happen under ``store.lock``,
so two concurrent creates with one code give one card.

Messages, fields and codes of the refusals are live Shopify's, from the same captures
(gift-card-create-validation.json, API 2025-01):

* amount 0: ``["input", "initialValue"]``, ``GREATER_THAN``, "must be greater than 0"; the same is answered
  at ``["input", "initialAmount"]`` when the amount came as ``initialAmount`` (2026-07's field; not captured);
* code shorter than 8 / longer than 20 / not letters and digits: ``TOO_SHORT`` "Code must be at least 8
  characters long", ``TOO_LONG`` "Code must be at most 20 characters long", ``INVALID`` "Code can only
  contain letters(a-z) and numbers(0-9)", all at ``["input", "code"]``;
* a code already used: ``["input", "code"]``, "Code has already been taken", and **no code** (``null``),
  although ``GiftCardErrorCode`` has ``TAKEN`` ("The input value is already taken."): that is what the
  capture shows Shopify answering;
* an unknown customer: ``["input", "customerId"]``, ``CUSTOMER_NOT_FOUND``, "The customer could not be
  found." (the enum's own description). It wins over a bad code: the capture sends both and gets only it.

Shopify answers one error per create in every captured case; the devstore checks in this order: amount,
customer, code. Guessed: a create with neither ``initialAmount`` nor ``initialValue`` (``MISSING_ARGUMENT``
at ``["input", "initialAmount"]``). Not modelled: the shop's issue limit (``GIFT_CARD_LIMIT_EXCEEDED``),
``recipientAttributes`` (accepted and ignored, no notification is sent) and the ``gift_cards/create``
webhook.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import clock
from .ids import gid, gid_number
from .money import quantize, rest_amount, to_decimal
from .order_search import choice_field, numeric_field, time_field
from .search import FieldHandler, Matcher, compare
from .store import Store

CODE_MIN, CODE_MAX = 8, 20
GENERATED_CODE_LENGTH = 16
CODE_ALPHABET = string.ascii_lowercase + string.digits
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]+$")
MASK = "•••• •••• •••• "  # what Shopify puts before the last four characters in ``maskedCode``

CODE_TAKEN = "Code has already been taken"
CUSTOMER_NOT_FOUND = "The customer could not be found."


def error(field: list[str], message: str, code: str | None) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def last_characters(card: dict) -> str:
    return card["code"][-4:]


def masked_code(card: dict) -> str:
    return MASK + last_characters(card)


def generate_code(store: Store) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(GENERATED_CODE_LENGTH))
        if store.gift_card_by_code(code) is None:
            return code


def _amount(params: dict, shop_currency: str) -> tuple[Decimal | None, str, str]:
    """(amount or None if unusable, currency, the input field it came from): ``initialAmount`` when given,
    else the deprecated ``initialValue`` in the shop's currency."""
    money = params.get("initialAmount")
    if money is not None:
        return (
            to_decimal(money.get("amount")),
            str(money.get("currencyCode") or shop_currency),
            "initialAmount",
        )
    if params.get("initialValue") is not None:
        return to_decimal(params["initialValue"]), shop_currency, "initialValue"
    return None, shop_currency, ""


def check_create(store: Store, params: dict) -> list[dict[str, Any]]:
    """The refusal Shopify would answer ``giftCardCreate(input: params)`` with, or ``[]``."""
    amount, currency, source = _amount(params, store.shop.currency)
    if not source:
        return [error(["input", "initialAmount"], "Initial amount is required", "MISSING_ARGUMENT")]
    if amount is None or not amount.is_finite() or quantize(amount, currency) <= 0:
        return [error(["input", source], "must be greater than 0", "GREATER_THAN")]
    customer_id = params.get("customerId")
    if customer_id is not None and store.customer(gid_number(customer_id, "Customer")) is None:
        return [error(["input", "customerId"], CUSTOMER_NOT_FOUND, "CUSTOMER_NOT_FOUND")]
    code = params.get("code")
    if code is not None:
        if len(code) < CODE_MIN:
            return [
                error(["input", "code"], f"Code must be at least {CODE_MIN} characters long", "TOO_SHORT")
            ]
        if len(code) > CODE_MAX:
            return [error(["input", "code"], f"Code must be at most {CODE_MAX} characters long", "TOO_LONG")]
        if not CODE_PATTERN.match(code):
            message = "Code can only contain letters(a-z) and numbers(0-9)"
            return [error(["input", "code"], message, "INVALID")]
        if store.gift_card_by_code(code) is not None:
            return [error(["input", "code"], CODE_TAKEN, None)]
    return []


def issue(store: Store, params: dict, *, at: float | None = None) -> dict:
    """Create the card ``check_create`` accepted. The caller holds ``store.lock``."""
    now = at if at is not None else clock.now()
    amount, currency, _source = _amount(params, store.shop.currency)
    assert amount is not None  # checked by check_create
    value = str(quantize(amount, currency))
    code = params.get("code")
    card = {
        "id": store.new_id("GiftCard"),
        "code": code.lower() if code else generate_code(store),
        "currency": currency,
        "initial_value": value,
        "balance": value,
        "customer_id": gid_number(params["customerId"], "Customer") if params.get("customerId") else None,
        "note": params.get("note"),
        "expires_on": params.get("expiresOn"),
        "template_suffix": params.get("templateSuffix"),
        "enabled": True,
        "deactivated_at": None,
        "created_at": now,
        "updated_at": now,
    }
    store.add_gift_card(card)
    return card


# --- search (giftCards(query:), giftCardsCount(query:)) -------------------------------------------


def search_fields(
    zone, customer: Callable[[dict], dict | None]
) -> tuple[dict[str, FieldHandler], FieldHandler]:
    """Shopify's default field is "a case-insensitive search of multiple fields in a document, including
    gift card codes" (schema doc of ``giftCards(query:)``, examples ``a5bh6h64b329j4k7`` and
    ``Bob Norman``): a bare word matches a card whose code is it or ends with it (the last characters, as
    live Shopify matches ``2438`` in gift-card-lifecycle.json), or whose customer's name or email holds it."""

    def default(op: str, value: str) -> Matcher:
        wanted = value.lower()

        def matches(card: dict) -> bool:
            if card["code"] == wanted or (len(wanted) >= 4 and card["code"].endswith(wanted)):
                return True
            person = customer(card) or {}
            return any(
                wanted in (person.get(key) or "").lower() for key in ("first_name", "last_name", "email")
            )

        return matches

    def initial_value(op: str, value: str) -> Matcher | None:
        wanted = to_decimal(value)
        if wanted is None:
            return None
        return lambda card: compare(op, Decimal(card["initial_value"]), wanted)

    def balance(card: dict) -> str:
        left = Decimal(card["balance"])
        if left <= 0:
            return "empty"
        return "full" if left >= Decimal(card["initial_value"]) else "partial"

    fields: dict[str, FieldHandler] = {
        "id": numeric_field(lambda card: card["id"]),
        "customer_id": numeric_field(lambda card: card.get("customer_id")),
        "created_at": time_field("created_at", zone),
        "initial_value": initial_value,
        "status": choice_field(
            {
                "enabled": lambda card: bool(card["enabled"]),
                "disabled": lambda card: not card["enabled"],
            }
        ),
        "balance_status": choice_field(
            {
                "full": lambda card: balance(card) == "full",
                "partial": lambda card: balance(card) == "partial",
                "empty": lambda card: balance(card) == "empty",
                "full_or_partial": lambda card: balance(card) != "empty",
            }
        ),
    }
    return fields, default


def _ms(name: str) -> Callable[[dict], int]:
    return lambda card: int(card[name] * 1000)


def _cents(name: str) -> Callable[[dict], int]:
    return lambda card: int(Decimal(card[name]) * 100)


def _id(card: dict) -> int:
    return card["id"]


def _id_text(card: dict) -> str:
    return str(card["id"])


# GiftCardSortKeys -> (sort key, cursor value), as ORDER_SORT_KEYS: ids travel as strings in cursors (live
# Shopify's giftCards(sortKey: ID) cursors are {"last_id": 650834870578, "last_value": "650834870578"}).
SORT_KEYS: dict[str, tuple[Callable[[dict], Any], Callable[[dict], Any]]] = {
    "ID": (_id, _id_text),
    "RELEVANCE": (_id, _id_text),
    "CREATED_AT": (_ms("created_at"), _ms("created_at")),
    "UPDATED_AT": (_ms("updated_at"), _ms("updated_at")),
    "BALANCE": (_cents("balance"), _cents("balance")),
    "INITIAL_VALUE": (_cents("initial_value"), _cents("initial_value")),
    "CODE": (lambda card: card["code"], lambda card: card["code"]),
    "EXPIRES_ON": (lambda card: card.get("expires_on") or "", lambda card: card.get("expires_on") or ""),
}


# --- REST shape (the control API) ----------------------------------------------------------------


def rest_gift_card(store: Store, card: dict) -> dict:
    """Like Shopify's REST ``GiftCard`` plus the whole ``code``: the control API is the test's view of the
    truth, and the code is what a shopper types."""
    currency = card["currency"]
    return {
        "id": card["id"],
        "admin_graphql_api_id": gid("GiftCard", card["id"]),
        "code": card["code"],
        "last_characters": last_characters(card),
        "customer_id": card.get("customer_id"),
        "note": card.get("note"),
        "initial_value": rest_amount(Decimal(card["initial_value"]), currency),
        "balance": rest_amount(Decimal(card["balance"]), currency),
        "currency": currency,
        "enabled": card["enabled"],
        "expires_on": card.get("expires_on"),
        "template_suffix": card.get("template_suffix"),
        "disabled_at": clock.iso_local(card["deactivated_at"], store.zone)
        if card["deactivated_at"]
        else None,
        "created_at": clock.iso_local(card["created_at"], store.zone),
        "updated_at": clock.iso_local(card["updated_at"], store.zone),
    }
