"""Reading Shopify while a shopper waits on a page: its failures as something the shopper can act on."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.utils.translation import gettext_lazy as _

from cancellations.errors import RequestNotAllowed
from shopify_sync.errors import ShopifyError, ShopifyTransientError, ShopifyUserError

T = TypeVar("T")

UNREACHABLE = _("The store could not be reached just now. Try again in a minute.")


def shopify_live(call: Callable[[], T]) -> T:
    """`call()`, with Shopify's failures raised as `RequestNotAllowed` (unreachable, or Shopify's words)."""
    try:
        return call()
    except ShopifyTransientError:
        raise RequestNotAllowed(UNREACHABLE, code="shopify_unavailable") from None
    except ShopifyUserError as exc:
        message = "; ".join(str(error) for error in exc.errors) or str(exc)
        raise RequestNotAllowed(message, code="shopify_refused") from None
    except ShopifyError:
        raise RequestNotAllowed(UNREACHABLE, code="shopify_unavailable") from None
