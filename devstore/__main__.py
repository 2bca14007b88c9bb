"""python -m devstore: run the local Shopify Admin API stand-in."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from . import oauth, protected_data, versions
from .app import App, Config
from .server import DevstoreServer
from .store import ShopConfig


def parse_args(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(prog="python -m devstore", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--token",
        default="devstore-token",
        help="a static X-Shopify-Access-Token that never expires (a legacy admin-created app's)",
    )
    p.add_argument("--client-id", default="devstore-client-id", help="the app's client id (Dev Dashboard)")
    p.add_argument(
        "--client-secret", default="devstore-client-secret", help="the app's client secret (Dev Dashboard)"
    )
    p.add_argument(
        "--scopes",
        default=oauth.DEFAULT_SCOPES,
        help="comma-separated scopes granted to the app (default: what the portal needs)",
    )
    p.add_argument(
        "--token-lifetime",
        type=int,
        default=oauth.DEFAULT_TOKEN_LIFETIME,
        help="seconds a client-credentials token lives (Shopify: 86399)",
    )
    p.add_argument(
        "--protected-data",
        default=",".join(protected_data.FIELDS),
        help="comma-separated protected customer fields the app may read, among "
        f"{','.join(protected_data.FIELDS)}, or 'none' for Level 1 only: refused fields come back null "
        "with Shopify's ACCESS_DENIED error and are null in webhooks (default: all four)",
    )
    p.add_argument(
        "--api-versions",
        default=",".join(versions.DEFAULT_API_VERSIONS),
        help="comma-separated stable Admin API versions served (every answer names its version in "
        "X-Shopify-API-Version); an older version falls forward to the oldest of these, as on Shopify, "
        "while a newer or malformed one gets 404; 'unstable' is always served "
        f"(default: {','.join(versions.DEFAULT_API_VERSIONS)})",
    )
    p.add_argument(
        "--deprecated-versions",
        default="",
        help="comma-separated versions (among --api-versions) announced as deprecated: their answers carry "
        "X-Shopify-API-Deprecated-Reason even when no deprecated field is used (default: none)",
    )
    p.add_argument("--webhook-url", default=None, help="receives every order webhook")
    p.add_argument("--webhook-secret", default="devstore-secret", help="HMAC key for X-Shopify-Hmac-Sha256")
    p.add_argument("--webhook-retry-base", type=float, default=0.5, help="seconds before the first retry")
    p.add_argument("--webhook-max-attempts", type=int, default=8)
    p.add_argument("--seed", type=int, default=0, help="number of demo orders to create on an empty store")
    p.add_argument("--random-seed", type=int, default=42)
    p.add_argument("--bucket", type=float, default=2000, help="throttle bucket size (maximumAvailable)")
    p.add_argument("--restore-rate", type=float, default=100, help="points restored per second")
    p.add_argument("--state-file", type=Path, default=None, help="JSON file the state is kept in")
    p.add_argument("--shop-domain", default="devstore.myshopify.com")
    p.add_argument("--shop-name", default="Devstore")
    p.add_argument("--timezone", default="Asia/Seoul")
    p.add_argument("--currency", default="USD")
    p.add_argument(
        "--no-auto-archive",
        dest="auto_archive",
        action="store_false",
        help="turn off the shop's 'Automatically archive the order' setting: a cancelled order stays open "
        "(closed: false) until orderClose (default: on, a cancel closes the order, as on Shopify)",
    )
    p.add_argument("--job-delay", type=float, default=0.3, help="seconds until an orderCancel job is done")
    p.add_argument("--bulk-delay", type=float, default=0.2, help="seconds a bulk operation stays CREATED")
    p.add_argument("--fault-timeout-seconds", type=float, default=10.0)
    a = p.parse_args(argv)
    if a.token_lifetime < 1:
        p.error("--token-lifetime must be at least 1 second")
    if a.webhook_url and not a.webhook_url.startswith(("http://", "https://")):
        p.error("--webhook-url must be an http(s) URL")
    try:
        protected_fields = protected_data.parse(a.protected_data)
    except ValueError as exc:
        p.error(f"--protected-data: {exc}")
    try:
        api_versions = versions.parse_versions(a.api_versions)
        deprecated_versions = versions.parse_versions(a.deprecated_versions)
    except ValueError as exc:
        p.error(f"--api-versions/--deprecated-versions: {exc}")
    if not api_versions:
        p.error("--api-versions must name at least one version")
    if not set(deprecated_versions) <= set(api_versions):
        p.error("--deprecated-versions must be among --api-versions")
    return Config(
        host=a.host,
        port=a.port,
        token=a.token,
        client_id=a.client_id,
        client_secret=a.client_secret,
        scopes=a.scopes,
        token_lifetime=a.token_lifetime,
        webhook_url=a.webhook_url,
        webhook_secret=a.webhook_secret,
        webhook_retry_base=a.webhook_retry_base,
        webhook_max_attempts=a.webhook_max_attempts,
        seed=a.seed,
        random_seed=a.random_seed,
        bucket=a.bucket,
        restore_rate=a.restore_rate,
        state_file=a.state_file,
        job_delay=a.job_delay,
        bulk_delay=a.bulk_delay,
        fault_timeout_seconds=a.fault_timeout_seconds,
        protected_fields=protected_fields,
        api_versions=api_versions,
        deprecated_versions=frozenset(deprecated_versions),
        shop=ShopConfig(
            name=a.shop_name,
            domain=a.shop_domain,
            timezone=a.timezone,
            currency=a.currency,
            auto_archive=a.auto_archive,
        ),
    )


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    app = App(config)
    app.start()
    server = DevstoreServer(app)
    if config.port == 0:
        config.port = server.server_address[1]
        app.base_url = f"http://{config.host}:{config.port}"
    stopping = threading.Event()

    def stop(*_args: object) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"devstore listening on http://{config.host}:{config.port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
