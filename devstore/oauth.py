"""Access tokens the way Shopify issues them to a Dev Dashboard app (``/admin/oauth/...``).

Two grants share ``POST /admin/oauth/access_token``:

* client credentials (``grant_type=client_credentials``, ``client_id``, ``client_secret``): a token that
  expires, answered as ``{"access_token", "scope", "expires_in"}`` (shopify.dev, "Using the client
  credentials grant"; Shopify's own libraries parse exactly these three keys);
* authorization code (``client_id``, ``client_secret``, ``code`` from the install redirect): an offline
  token that never expires, answered as ``{"access_token", "scope"}``.

Errors are ``{"error", "error_description"}`` with HTTP 400. Two descriptions are Shopify's own, as its
users have quoted them: an unknown client id ("Could not find Shopify API application with api_key …")
and an unknown or spent code ("The authorization code was not found or was already used"). Shopify's
wording for a wrong secret or an unsupported grant type was not found; those use the RFC 6749 error
codes with the devstore's own description.

The static ``--token`` (a legacy admin-created app's token) stays valid forever. Issued tokens and codes
live in the store's state, so they survive a restart with ``--state-file`` and go with ``reset``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from . import clock

if TYPE_CHECKING:
    from .store import Store

# What the portal asks of Shopify (see shopify_sync/graphql/ and DESIGN.md, "Scopes"): orders and their
# history past 60 days, order edits, holds on fulfilment orders, returns, customers, and gift cards (the
# store credit it issues).
DEFAULT_SCOPES = (
    "read_orders,write_orders,read_all_orders,read_order_edits,write_order_edits,read_customers,read_products,"
    "read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders,"
    "read_third_party_fulfillment_orders,write_third_party_fulfillment_orders,"
    "read_returns,write_returns,read_gift_cards,write_gift_cards"
)
# Shopify's client-credentials tokens live 24 hours less a second.
DEFAULT_TOKEN_LIFETIME = 86399
TOKEN_PREFIX = "shpat_"  # noqa: S105 - the prefix Shopify gives admin tokens, not a secret

CODE_NOT_FOUND = "The authorization code was not found or was already used"


@dataclass(frozen=True)
class AppCredentials:
    """The one app the devstore knows: its Dev Dashboard credentials and what it is granted."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    token_lifetime: int
    static_token: str


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def parse_scopes(text: str | None) -> tuple[str, ...]:
    """A comma-separated scope list as Shopify takes it: blanks dropped, order kept, no repeats."""
    seen: dict[str, None] = {}
    for part in (text or "").split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return tuple(seen)


def sign_query(params: dict[str, str], secret: str) -> str:
    """The ``hmac`` Shopify puts on a redirect: HMAC-SHA256 (hex) of the other parameters, sorted.

    Each pair is ``key=value`` with ``%`` and ``&`` escaped in both and ``=`` in keys (shopify.dev,
    "Implement authorization code grant manually", step 1: verify the installation request).
    """
    pairs = []
    for key, value in params.items():
        if key in ("hmac", "signature"):
            continue
        k = key.replace("%", "%25").replace("&", "%26").replace("=", "%3D")
        v = value.replace("%", "%25").replace("&", "%26")
        pairs.append(f"{k}={v}")
    message = "&".join(sorted(pairs))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _client(app: AppCredentials, params: dict[str, str], *, check_secret: bool) -> None:
    client_id = params.get("client_id") or ""
    if not _same(client_id, app.client_id):
        raise OAuthError(
            "invalid_request", f"Could not find Shopify API application with api_key {client_id}"
        )
    if check_secret and not _same(params.get("client_secret") or "", app.client_secret):
        raise OAuthError("invalid_client", "Client authentication failed: the client secret is wrong")


def _issue(store: Store, scopes: tuple[str, ...], lifetime: int | None, grant: str) -> dict[str, Any]:
    token = TOKEN_PREFIX + secrets.token_hex(16)
    now = clock.now()
    store.state.access_tokens[token] = {
        "scope": ",".join(scopes),
        "grant": grant,
        "issued_at": now,
        "expires_at": now + lifetime if lifetime is not None else None,
    }
    answer: dict[str, Any] = {"access_token": token, "scope": ",".join(scopes)}
    if lifetime is not None:
        answer["expires_in"] = lifetime
    return answer


def grant_token(store: Store, app: AppCredentials, params: dict[str, str]) -> dict[str, Any]:
    """Answer ``POST /admin/oauth/access_token``; the caller holds ``store.lock``. Raises OAuthError."""
    _client(app, params, check_secret=True)
    grant_type = params.get("grant_type")
    if grant_type == "client_credentials":
        return _issue(store, app.scopes, app.token_lifetime, "client_credentials")
    if grant_type not in (None, "", "authorization_code"):
        raise OAuthError("unsupported_grant_type", f"The grant type {grant_type} is not supported")
    # A code is spent by the first attempt that names it, whatever becomes of that attempt.
    issued = store.state.auth_codes.pop(params.get("code") or "", None)
    if issued is None or issued["client_id"] != app.client_id:
        raise OAuthError("invalid_request", CODE_NOT_FOUND)
    return _issue(store, parse_scopes(issued["scope"]), None, "authorization_code")


def authorize(store: Store, app: AppCredentials, params: dict[str, str]) -> str:
    """Answer the install page ``GET /admin/oauth/authorize`` as if the merchant clicked Install at once:
    returns the URL to redirect to, carrying ``code``, ``shop``, ``state``, ``timestamp`` and ``hmac``.
    The caller holds ``store.lock``."""
    _client(app, params, check_secret=False)
    redirect_uri = params.get("redirect_uri") or ""
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        raise OAuthError("invalid_request", "The redirect_uri is missing or not an http(s) URL")
    scopes = parse_scopes(params.get("scope")) or app.scopes
    code = secrets.token_hex(16)
    store.state.auth_codes[code] = {
        "client_id": app.client_id,
        "scope": ",".join(scopes),
        "issued_at": clock.now(),
    }
    back = {"code": code, "shop": store.shop.domain, "timestamp": str(int(clock.now()))}
    if params.get("state") is not None:
        back["state"] = params["state"]
    back["hmac"] = sign_query(back, app.client_secret)
    return redirect_uri + ("&" if urlsplit(redirect_uri).query else "?") + urlencode(back)


def scopes_for(store: Store, app: AppCredentials, token: str | None) -> tuple[str, ...] | None:
    """The scopes a request's ``X-Shopify-Access-Token`` carries, or None when it is unknown or expired.
    The caller holds ``store.lock``."""
    if not token:
        return None
    if _same(token, app.static_token):
        return app.scopes
    issued = store.state.access_tokens.get(token)
    if issued is None:
        return None
    expires_at = issued.get("expires_at")
    if expires_at is not None and clock.now() >= expires_at:
        return None
    return parse_scopes(issued["scope"])


def expire_all(store: Store) -> int:
    """Run out every expiring token now (the client credentials grant's, as 24 hours would); offline tokens
    from an install never expire on Shopify, so they stay. Returns how many were still valid."""
    now = clock.now()
    count = 0
    for issued in store.state.access_tokens.values():
        if issued["expires_at"] is not None and issued["expires_at"] > now:
            issued["expires_at"] = now
            count += 1
    return count
