"""What can go wrong when we speak to Shopify, as types a caller can act on.

- `ShopifyAuthError`: the token is wrong or lacks a scope. Retrying will not help; an operator must act.
- `ShopifyUserError`: Shopify understood and refused (an already cancelled order, a bad address). Keep
  Shopify's field, message and code: they are what a merchant reads.
- `ShopifyGraphQLError`: the document itself was refused (a bug on our side, or a query over the cost cap).
- `ShopifyShopUnavailable`: the shop itself refuses every call: frozen (HTTP 402, its bill unpaid), locked
  (423), gone (404) or otherwise unavailable. Nothing ran; retrying will not help until the shop's owner
  (or Shopify) acts, so it is raised at once and never retried.
- `ShopifyTransientError`: 5xx, timeouts, connection failures, throttling that outlasted our patience.
  `may_have_applied` is true when a mutation was sent and no answer came back: the change may have
  happened, so the caller must re-read the truth before trying again (never blindly re-send a cancel).
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus


class ShopifyError(Exception):
    """Base of every failure talking to Shopify."""


class ShopifyAuthError(ShopifyError):
    pass


@dataclass(frozen=True, slots=True)
class UserError:
    field: tuple[str, ...] | None
    message: str
    code: str | None = None

    def __str__(self) -> str:
        where = ".".join(self.field) if self.field else ""
        return f"{where}: {self.message}" if where else self.message


class ShopifyUserError(ShopifyError):
    def __init__(self, operation: str, errors: list[UserError]):
        self.operation = operation
        self.errors = errors
        super().__init__(f"{operation} refused by Shopify: " + "; ".join(str(e) for e in errors))

    @property
    def codes(self) -> set[str]:
        return {e.code for e in self.errors if e.code}


class ShopifyGraphQLError(ShopifyError):
    def __init__(self, operation: str, errors: list[dict]):
        self.operation = operation
        self.errors = errors
        self.codes = {(e.get("extensions") or {}).get("code") for e in errors} - {None}
        messages = "; ".join(str(e.get("message")) for e in errors)
        super().__init__(f"{operation}: {messages}")


class ShopifyShopUnavailable(ShopifyError):
    """Shopify refused the call because of the shop's state, not the call: `state` is "frozen", "locked",
    "gone" or "unavailable"; `status` the HTTP status; `shopify_message` Shopify's own words (its `errors`,
    a string in these answers: `{"errors": "Unavailable Shop"}`)."""

    def __init__(self, message: str, *, state: str, status: int, shopify_message: str = ""):
        self.state = state
        self.status = status
        self.shopify_message = shopify_message
        super().__init__(message)


class ShopifyTransientError(ShopifyError):
    def __init__(self, message: str, *, may_have_applied: bool = False):
        self.may_have_applied = may_have_applied
        super().__init__(message)


# What each refusal means, in an operator's words. Shopify documents the statuses
# (https://shopify.dev/docs/api/usage/response-codes: "402 Payment Required: The requested shop is currently
# frozen…", "423 Locked: The requested shop is currently locked…"); the bodies are `{"errors": "<text>"}`
# with a string, not the usual list: "Unavailable Shop" (402, and 403 on GraphQL for some shops),
# "This store is unavailable" (423), "Not Found" (404).
_SHOP_STATES: dict[int, tuple[str, str, str]] = {
    402: (
        "frozen",
        "is frozen",
        "Shopify refuses API calls until the store's bill is paid (its owner pays the outstanding balance "
        "in the Shopify admin)",
    ),
    423: (
        "locked",
        "is locked",
        "Shopify has locked the store (an app that kept exceeding its API limits, or an account problem "
        "such as suspected fraud) and refuses API calls until Shopify support unlocks it",
    ),
    404: (
        "gone",
        "was not found",
        "the store has been closed or deleted, or the portal has its address wrong (SHOPIFY_SHOP_DOMAIN, "
        "SHOPIFY_API_BASE_URL)",
    ),
}
SHOP_STATE_STATUSES = frozenset({*_SHOP_STATES, 403})  # the statuses `shop_unavailable` may recognise
_UNAVAILABLE = (
    "unavailable",
    "is unavailable",
    "Shopify refuses API calls for this store (frozen, paused or closed): its owner checks its plan and "
    "billing in the Shopify admin",
)


def shop_unavailable(status: int, body: object, *, shop: str) -> ShopifyShopUnavailable | None:
    """The error for an answer that refuses the call because of the shop's state, or None.

    402, 423 and 404 whatever the body (a closed shop's 404 may be an HTML page); 403 only when Shopify
    says "Unavailable Shop" (otherwise a 403 is a missing scope: `ShopifyAuthError`)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    text = errors.strip() if isinstance(errors, str) else ""
    if status in _SHOP_STATES:
        state, words, why = _SHOP_STATES[status]
    elif status == 403 and "unavailable shop" in text.lower():
        state, words, why = _UNAVAILABLE
    else:
        return None
    said = text or HTTPStatus(status).phrase
    return ShopifyShopUnavailable(
        f"the shop {shop} {words} (HTTP {status} {said}): {why}",
        state=state,
        status=status,
        shopify_message=text,
    )
