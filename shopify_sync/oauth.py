"""Shopify's OAuth endpoints, spoken from the portal's side: asking for access tokens.

`POST {base}/admin/oauth/access_token`, form-encoded, answers `{"access_token", "scope", "expires_in"}`
for the client credentials grant (a token of the app's own organisation's store, living 24 hours) and
`{"access_token", "scope"}` for an install's authorization code (an offline token). A refusal is HTTP 400
with `{"error", "error_description"}`. `{base}` is `https://{shop}` or, in development, the devstore.

Nothing here stores anything (that is `shopify_sync.tokens`); nothing here logs a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests

from shopify_sync.errors import (
    SHOP_STATE_STATUSES,
    ShopifyAuthError,
    ShopifyTransientError,
    shop_unavailable,
)

logger = logging.getLogger(__name__)

TIMEOUT = (5.0, 15.0)
ATTEMPTS = 4


@dataclass(frozen=True)
class GrantedToken:
    access_token: str
    scopes: tuple[str, ...]
    expires_in: int | None  # seconds; None for an offline token that never expires

    def __repr__(self) -> str:  # never show the token, even in a traceback's locals
        return f"<GrantedToken scopes={','.join(self.scopes)} expires_in={self.expires_in}>"


def token_endpoint(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/admin/oauth/access_token"


def parse_scopes(text: str | None) -> tuple[str, ...]:
    """Shopify's comma-separated scope list, blanks dropped, order kept."""
    return tuple(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))


_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def valid_shop_domain(value: str | None) -> str | None:
    """`value` as a shop's `*.myshopify.com` name (lower case), or None when it is anything else: a
    custom domain, a URL, a path, another host."""
    domain = (value or "").strip().lower()
    return domain if _SHOP_DOMAIN.fullmatch(domain) else None


def query_signature_is_valid(params: dict[str, str], secret: str) -> bool:
    """Shopify's `hmac` on a redirect to the app: HMAC-SHA256, hex, of the other parameters as
    `key=value` pairs sorted and joined by `&` (shopify.dev, "Verify a request" of the authorization code
    grant). Compared in constant time."""
    given = params.get("hmac") or ""
    message = "&".join(
        sorted(
            f"{_escape(key, key=True)}={_escape(value)}"
            for key, value in params.items()
            if key not in ("hmac", "signature")
        )
    )
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return bool(secret) and hmac.compare_digest(given.encode(), expected.encode())


def _escape(text: str, *, key: bool = False) -> str:
    # What Shopify escapes in the signed message: % and & everywhere, = in keys.
    text = text.replace("%", "%25").replace("&", "%26")
    return text.replace("=", "%3D") if key else text


def authorize_url(
    *, base_url: str, client_id: str, scopes: Iterable[str], redirect_uri: str, state: str
) -> str:
    """Shopify's install page for the app on a shop: the merchant approves the scopes there and comes back
    to `redirect_uri` with a one-time `code`."""
    query = urlencode(
        {"client_id": client_id, "scope": ",".join(scopes), "redirect_uri": redirect_uri, "state": state}
    )
    return f"{base_url.rstrip('/')}/admin/oauth/authorize?{query}"


def client_credentials_token(*, base_url: str, client_id: str, client_secret: str, **options) -> GrantedToken:
    """A new token for the app's own store (client credentials grant)."""
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    return _token_request(base_url, form, **options)


def authorization_code_token(
    *, base_url: str, client_id: str, client_secret: str, code: str, **options
) -> GrantedToken:
    """The offline token for an install's one-time `code` (authorization code grant)."""
    form = {"client_id": client_id, "client_secret": client_secret, "code": code}
    return _token_request(base_url, form, **options)


def _token_request(
    base_url: str,
    form: dict[str, str],
    *,
    session: requests.Session | None = None,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> GrantedToken:
    """POST the form, retrying what did not reach Shopify or failed on its side (a token request changes
    nothing a retry could double: at worst Shopify issues one more token)."""
    url = token_endpoint(base_url)
    http = session or requests
    for attempt in range(1, attempts + 1):
        try:
            response = http.post(url, data=form, headers={"Accept": "application/json"}, timeout=TIMEOUT)
        except requests.RequestException as exc:
            failure = f"token request failed: {type(exc).__name__}"
        else:
            if response.status_code < 500 and response.status_code != 429:
                return _granted(response, shop=urlsplit(url).netloc)
            failure = f"token request answered HTTP {response.status_code}"
        if attempt == attempts:
            raise ShopifyTransientError(f"{failure} (gave up after {attempts} attempts)")
        delay = random.uniform(0, min(8.0, 0.5 * 2 ** (attempt - 1)))
        logger.warning("shopify %s; retry %d in %.2fs", failure, attempt, delay)
        sleep(delay)
    raise AssertionError("unreachable")


def _granted(response: requests.Response, *, shop: str) -> GrantedToken:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code in SHOP_STATE_STATUSES:  # a frozen, locked or closed shop grants nothing
        refused = shop_unavailable(response.status_code, body, shop=shop)
        if refused is not None:
            raise refused
    if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
        error = body.get("error") if isinstance(body, dict) else None
        description = body.get("error_description") if isinstance(body, dict) else None
        reason = ": ".join(str(part) for part in (error, description) if part) or "no token in the answer"
        raise ShopifyAuthError(f"Shopify refused the token request (HTTP {response.status_code}): {reason}")
    expires_in = body.get("expires_in")
    return GrantedToken(
        access_token=str(body["access_token"]),
        scopes=parse_scopes(body.get("scope")),
        expires_in=int(expires_in) if expires_in is not None else None,
    )
