"""What can go wrong when we speak to Shopify, as types a caller can act on.

- `ShopifyAuthError`: the token is wrong or lacks a scope. Retrying will not help; an operator must act.
- `ShopifyUserError`: Shopify understood and refused (an already cancelled order, a bad address). Keep
  Shopify's field, message and code: they are what a merchant reads.
- `ShopifyGraphQLError`: the document itself was refused (a bug on our side, or a query over the cost cap).
- `ShopifyTransientError`: 5xx, timeouts, connection failures, throttling that outlasted our patience.
  `may_have_applied` is true when a mutation was sent and no answer came back: the change may have
  happened, so the caller must re-read the truth before trying again (never blindly re-send a cancel).
"""

from __future__ import annotations

from dataclasses import dataclass


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


class ShopifyTransientError(ShopifyError):
    def __init__(self, message: str, *, may_have_applied: bool = False):
        self.may_have_applied = may_have_applied
        super().__init__(message)
