"""Each shop's Admin API token: where it comes from, kept encrypted, renewed before it runs out.

Where a shop's token comes from, first match wins:
1. `SHOPIFY_ACCESS_TOKEN`, a legacy admin-created app's static token, for the configured shop: used as it
   is, never renewed;
2. a stored token (`ShopAccess`): an install's offline token, or the last client-credentials token while
   it has more than `SHOPIFY_TOKEN_RENEW_BEFORE_SECONDS` to live;
3. client credentials (`SHOPIFY_CLIENT_ID` + `SHOPIFY_CLIENT_SECRET`): a new token is asked for, stored
   encrypted with its expiry and scopes.

A 401 renews once (`ShopToken.renewed`): Shopify may end a token before its time (an app's secret rotated,
the devstore told to). Renewal across processes is one at a time: the shop's `ShopAccess` row is locked
(SELECT ... FOR UPDATE) while the token endpoint is asked, so a second worker waits on the lock and then
finds the token the first one stored instead of asking again. (SQLite has no row locks; there, two local
processes may both ask, which costs one extra token and nothing else.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shopify_sync import encryption, oauth
from shopify_sync.errors import ShopifyAuthError, ShopifyError
from shopify_sync.models import Shop, ShopAccess
from shopify_sync.selectors import configured_shop_domain

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime | None  # None: never expires

    def __repr__(self) -> str:
        return f"<Token expires_at={self.expires_at}>"

    def expiring(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at - now <= _renew_before()


def _renew_before() -> timedelta:
    return timedelta(seconds=settings.SHOPIFY_TOKEN_RENEW_BEFORE_SECONDS)


def static_token(shop: Shop) -> str:
    """The legacy static token, when there is one for this shop."""
    if settings.SHOPIFY_ACCESS_TOKEN and shop.domain == configured_shop_domain():
        return settings.SHOPIFY_ACCESS_TOKEN
    return ""


def client_credentials_configured() -> bool:
    return bool(settings.SHOPIFY_CLIENT_ID and settings.SHOPIFY_CLIENT_SECRET)


def api_base_url_for_domain(domain: str) -> str:
    """Where a shop's Admin API (and OAuth) answers: the shop itself, or a devstore standing in for it
    (`SHOPIFY_API_BASE_URL` for the configured shop, `SHOPIFY_API_BASE_URLS` for others)."""
    if domain in settings.SHOPIFY_API_BASE_URLS:
        return settings.SHOPIFY_API_BASE_URLS[domain]
    if domain == configured_shop_domain():
        return settings.SHOPIFY_API_BASE_URL
    return f"https://{domain}"


def api_base_url(shop: Shop) -> str:
    return api_base_url_for_domain(shop.domain)


def _stored(access: ShopAccess | None) -> Token | None:
    if access is None or not access.token_ciphertext:
        return None
    try:
        return Token(encryption.decrypt(access.token_ciphertext), access.expires_at)
    except encryption.InvalidToken:
        # The key it was encrypted with is gone from PORTAL_ENCRYPTION_KEYS: as good as no token.
        logger.warning("the stored token of %s cannot be decrypted with the configured keys", access.shop_id)
        return None


def shop_token(shop: Shop, *, now: datetime | None = None) -> Token:
    """A token to call the shop's Admin API with, renewed first when it is about to expire."""
    static = static_token(shop)
    if static:
        return Token(static, None)
    stored = _stored(ShopAccess.objects.filter(shop=shop).first())
    if stored is not None and not stored.expiring(now or timezone.now()):
        return stored
    return shop_token_renew(shop, rejected=None, now=now)


def shop_token_renew(shop: Shop, *, rejected: str | None, now: datetime | None = None) -> Token:
    """A new token for the shop; `rejected` is the one Shopify just refused, if any. Waits for a renewal
    another process has under way and returns its token rather than asking a second time."""
    if static_token(shop):
        raise ShopifyAuthError(
            "Shopify refused the access token of SHOPIFY_ACCESS_TOKEN (HTTP 401; a static token is never "
            "renewed): check it, or connect with SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET"
        )
    ShopAccess.objects.get_or_create(shop=shop, defaults={"grant": ShopAccess.Grant.CLIENT_CREDENTIALS})
    try:
        with transaction.atomic():
            access = ShopAccess.objects.select_for_update().get(shop=shop)
            stored = _stored(access)
            now = now or timezone.now()
            if stored is not None and stored.value != rejected and not stored.expiring(now):
                return stored  # renewed by another process while this one waited for the lock
            if access.grant == ShopAccess.Grant.AUTHORIZATION_CODE and not client_credentials_configured():
                raise ShopifyAuthError(
                    f"Shopify refused the app's token for {shop.domain}: install the app again"
                )
            return _renew_with_client_credentials(shop, access, now)
    except ShopifyError as exc:
        ShopAccess.objects.filter(shop=shop).update(last_error=str(exc)[:2000], updated_at=timezone.now())
        raise


def _renew_with_client_credentials(shop: Shop, access: ShopAccess, now: datetime) -> Token:
    if not client_credentials_configured():
        raise ShopifyAuthError(
            f"No Admin API token for {shop.domain}: set SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET (a Dev "
            "Dashboard app), install the app on the shop, or set SHOPIFY_ACCESS_TOKEN (a legacy custom app)"
        )
    granted = oauth.client_credentials_token(
        base_url=api_base_url(shop),
        client_id=settings.SHOPIFY_CLIENT_ID,
        client_secret=settings.SHOPIFY_CLIENT_SECRET,
    )
    access_store(access, granted, grant=ShopAccess.Grant.CLIENT_CREDENTIALS, now=now)
    logger.info("shopify token for %s renewed (expires %s)", shop.domain, access.expires_at)
    return Token(granted.access_token, access.expires_at)


def access_store(access: ShopAccess, granted: oauth.GrantedToken, *, grant: str, now: datetime) -> ShopAccess:
    """Keep a token Shopify granted, encrypted, with its expiry and scopes."""
    access.grant = grant
    access.token_ciphertext = encryption.encrypt(granted.access_token)
    access.expires_at = (
        now + timedelta(seconds=granted.expires_in) if granted.expires_in is not None else None
    )
    access.scopes = list(granted.scopes)
    access.obtained_at = now
    access.renewals += 1
    access.last_error = ""
    access.save()
    return access


class ShopToken:
    """A shop's token as `ShopifyClient` uses it: `current()` before each call (renews an expiring one),
    `renewed(rejected)` after a 401. Holds the token in memory between calls: one database read per client,
    not per call."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self._token: Token | None = None

    def __repr__(self) -> str:
        return f"<ShopToken {self.shop.domain}>"

    def current(self) -> str:
        if self._token is None or self._token.expiring(timezone.now()):
            self._token = shop_token(self.shop)
        return self._token.value

    def renewed(self, rejected: str) -> str:
        self._token = shop_token_renew(self.shop, rejected=rejected)
        return self._token.value
