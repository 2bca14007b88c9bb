"""Is the shop connected the way the portal needs? One check per line, for `shopify_check` and
`/healthz?deep=1`: token, connection, scopes, protected customer data, webhook subscriptions, API version.

Each check says what to fix where an operator would fix it (the Dev Dashboard, an environment variable).
A check that cannot run because an earlier one failed is skipped, not failed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from shopify_sync.client import ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.errors import ShopifyError
from shopify_sync.models import Shop, ShopAccess
from shopify_sync.scopes import PROTECTED_FIELDS, missing_scopes, protected_fields_of
from shopify_sync.tokens import shop_token, static_token
from shopify_sync.webhooks.subscriptions import endpoint_url, subscriptions_read

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
# Operators' words, in English whatever language a request or a test left active.
_GRANTS: dict[str, str] = {
    ShopAccess.Grant.CLIENT_CREDENTIALS: "Client credentials",
    ShopAccess.Grant.AUTHORIZATION_CODE: "App install (offline token)",
}


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL


def connection_checks(
    shop: Shop, *, client: ShopifyClient | None = None, webhook_url: str | None = None
) -> list[Check]:
    client = client or client_for(shop)
    url = webhook_url if webhook_url is not None else endpoint_url()
    checks = [_guarded("token", lambda: _token(shop))]
    if checks[-1].failed:
        return checks + _skipped("connection", "scopes", "protected data", "webhooks", "api version")
    checks.append(_guarded("connection", lambda: _connection(shop, client)))
    if checks[-1].failed:
        return checks + _skipped("scopes", "protected data", "webhooks", "api version")
    checks += [
        _guarded("scopes", lambda: _scopes(client)),
        _guarded("protected data", lambda: _protected_data(client)),
        _guarded("webhooks", lambda: _webhooks(client, url)),
        _api_version(client),
    ]
    return checks


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    """A check whose call to Shopify failed says how (Shopify's words, never a secret)."""
    try:
        return check()
    except ShopifyError as exc:
        return Check(name, FAIL, str(exc))


def _skipped(*names: str) -> list[Check]:
    return [Check(name, SKIP, "not checked: the shop cannot be reached") for name in names]


def _token(shop: Shop) -> Check:
    token = shop_token(shop)
    if static_token(shop):
        return Check("token", OK, "SHOPIFY_ACCESS_TOKEN (a legacy custom app's token; it never expires)")
    grant = _GRANTS.get(ShopAccess.objects.get(shop=shop).grant, "stored token")
    if token.expires_at is None:
        return Check("token", OK, f"{grant}, never expires")
    minutes = int((token.expires_at - timezone.now()).total_seconds() // 60)
    return Check("token", OK, f"{grant}, expires in {minutes // 60} h {minutes % 60} min")


def _connection(shop: Shop, client: ShopifyClient) -> Check:
    data = client.shop()
    if data.domain and data.domain.lower() != shop.domain:
        return Check(
            "connection",
            FAIL,
            f"the token is {data.domain}'s, not {shop.domain}'s: check SHOPIFY_SHOP_DOMAIN",
        )
    return Check("connection", OK, f"{data.name} ({shop.domain}) at {client.endpoint}")


def _scopes(client: ShopifyClient) -> Check:
    granted = client.access_scopes()
    missing = missing_scopes(granted)
    if missing:
        return Check(
            "scopes",
            FAIL,
            f"missing {', '.join(missing)}: add them to the app's access scopes in the Dev Dashboard, "
            "release a new version and install it again",
        )
    return Check("scopes", OK, ", ".join(sorted(granted)))


def _protected_data(client: ShopifyClient) -> Check:
    probe = client.protected_data_probe()
    if probe.denied_fields:
        return Check(
            "protected data",
            FAIL,
            f"Shopify withholds {', '.join(protected_fields_of(probe.denied_fields))} from the app: in the "
            f"Dev Dashboard, give it protected customer data access to {', '.join(PROTECTED_FIELDS)}",
        )
    if not probe.orders_read:
        return Check("protected data", SKIP, "no order yet to read names, e-mails and addresses from")
    return Check("protected data", OK, f"names, e-mails and addresses readable ({probe.orders_read} orders)")


def _webhooks(client: ShopifyClient, url: str) -> Check:
    if not url:
        return Check("webhooks", FAIL, "no public address for webhooks: set PORTAL_BASE_URL")
    found = subscriptions_read(client, url)
    if found.missing:
        return Check(
            "webhooks",
            FAIL,
            f"not subscribed at {url}: {', '.join(found.missing)} (run `python manage.py register_webhooks`)",
        )
    return Check("webhooks", OK, f"{len(found.present)} topics → {url}")


def _api_version(client: ShopifyClient) -> Check:
    asked = settings.SHOPIFY_API_VERSION
    if client.served_version and client.served_version != asked:
        return Check(
            "api version",
            FAIL,
            f"Shopify no longer serves {asked} and answered with {client.served_version}: set "
            "SHOPIFY_API_VERSION to a supported version the portal is tested with",
        )
    if client.deprecation_reasons:
        return Check(
            "api version",
            WARN,
            f"{asked}: Shopify reports deprecated {'; '.join(client.deprecation_reasons)}",
        )
    return Check("api version", OK, f"{asked}, nothing deprecated in what the portal sends")
