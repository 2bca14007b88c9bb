"""Start a real devstore process for tests: ``with start_devstore(seed=50) as store: ...``.

The process is ``python -m devstore`` (``sys.executable``) on a free port (``--port 0``; the port is read
from the ready line). Helpers talk to it over HTTP with the standard library only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import API_VERSION

PACKAGE_PARENT = Path(__file__).resolve().parent.parent
READY_PREFIX = "devstore listening on "


class DevstoreError(RuntimeError):
    pass


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy and return it; fail after the deadline (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


class Devstore:
    def __init__(
        self,
        *,
        seed: int = 0,
        token: str = "devstore-test-token",  # noqa: S107 - test defaults, not secrets
        webhook_url: str | None = None,
        webhook_secret: str = "devstore-test-secret",  # noqa: S107
        client_id: str = "devstore-test-client-id",
        client_secret: str = "devstore-test-client-secret",  # noqa: S107
        scopes: str | None = None,
        token_lifetime: int | None = None,
        protected_data: str | None = None,
        api_versions: Iterable[str] | None = None,
        deprecated_versions: Iterable[str] = (),
        bucket: float = 2000,
        restore_rate: float = 100,
        state_file: str | Path | None = None,
        auto_archive: bool = True,
        extra_args: Iterable[str] = (),
        startup_timeout: float = 60.0,
    ) -> None:
        self.seed = seed
        self.token = token
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = scopes  # None: the devstore's default (what the portal needs)
        self.token_lifetime = token_lifetime  # None: the devstore's default (86399 s)
        self.protected_data = protected_data  # None: all of name,email,phone,address; "none": Level 1 only
        self.api_versions = list(api_versions) if api_versions is not None else None  # None: the default
        self.deprecated_versions = list(deprecated_versions)
        self.bucket = bucket
        self.restore_rate = restore_rate
        self.state_file = Path(state_file) if state_file else None
        self.auto_archive = auto_archive  # False: started with --no-auto-archive
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.output: list[str] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "devstore",
            "--port",
            "0",
            "--token",
            self.token,
            "--webhook-secret",
            self.webhook_secret,
            "--client-id",
            self.client_id,
            "--client-secret",
            self.client_secret,
            "--seed",
            str(self.seed),
            "--bucket",
            str(self.bucket),
            "--restore-rate",
            str(self.restore_rate),
        ]
        if self.scopes is not None:
            cmd += ["--scopes", self.scopes]
        if self.token_lifetime is not None:
            cmd += ["--token-lifetime", str(self.token_lifetime)]
        if self.protected_data is not None:
            cmd += ["--protected-data", self.protected_data]
        if self.api_versions is not None:
            cmd += ["--api-versions", ",".join(self.api_versions)]
        if self.deprecated_versions:
            cmd += ["--deprecated-versions", ",".join(self.deprecated_versions)]
        if self.webhook_url:
            cmd += ["--webhook-url", self.webhook_url]
        if self.state_file:
            cmd += ["--state-file", str(self.state_file)]
        if not self.auto_archive:
            cmd += ["--no-auto-archive"]
        return cmd + self.extra_args

    def start(self) -> Devstore:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(PACKAGE_PARENT) + os.pathsep + env.get("PYTHONPATH", "")
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=str(PACKAGE_PARENT),
        )
        ready = threading.Event()

        def pump() -> None:
            assert self.process and self.process.stdout
            for line in self.process.stdout:
                self.output.append(line.rstrip("\n"))
                if line.startswith(READY_PREFIX) and not ready.is_set():
                    self.base_url = line[len(READY_PREFIX) :].strip()
                    ready.set()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout
        while not ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise DevstoreError("devstore did not start:\n" + "\n".join(self.output[-30:]))
        self.get("/_devstore/health")
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def restart(self) -> Devstore:
        self.stop()
        return self.start()

    def __enter__(self) -> Devstore:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- HTTP --------------------------------------------------------------------------------------

    def graphql_url(self, version: str = API_VERSION) -> str:
        return f"{self.base_url}/admin/api/{version}/graphql.json"

    def _request(
        self,
        method: str,
        path_or_url: str,
        body: Any = None,
        headers: dict | None = None,
        timeout: float = 30,
    ) -> tuple[int, Any]:
        status, _headers, payload = self._exchange(method, path_or_url, body, headers, timeout)
        return status, payload

    def _exchange(
        self,
        method: str,
        path_or_url: str,
        body: Any = None,
        headers: dict | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict[str, str], Any]:
        """(status, response headers with lower-case names, JSON body or text)."""
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - our own http base URL
            url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                raw = response.read()
                status = response.status
                answered = response.headers
        except urllib.error.HTTPError as exc:
            raw, status, answered = exc.read(), exc.code, exc.headers
        names = {k.lower(): v for k, v in answered.items()}
        try:
            return status, names, json.loads(raw) if raw else None
        except ValueError:
            return status, names, raw.decode(errors="replace")

    def get(self, path: str) -> Any:
        status, body = self._request("GET", path)
        if status >= 400:
            raise DevstoreError(f"GET {path} -> {status}: {body}")
        return body

    def post(self, path: str, body: Any = None) -> Any:
        status, payload = self._request("POST", path, body if body is not None else {})
        if status >= 400:
            raise DevstoreError(f"POST {path} -> {status}: {payload}")
        return payload

    def graphql(
        self,
        query: str,
        variables: dict | None = None,
        *,
        operation_name: str | None = None,
        version: str = API_VERSION,
        token: str | None = None,
    ) -> dict:
        body = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        status, payload = self._request(
            "POST", self.graphql_url(version), body, {"X-Shopify-Access-Token": token or self.token}
        )
        if status != 200:
            raise DevstoreError(f"graphql -> HTTP {status}: {payload}")
        return payload

    def graphql_exchange(
        self,
        query: str,
        variables: dict | None = None,
        *,
        version: str = API_VERSION,
        token: str | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """Like `graphql` but any status: (status, response headers with lower-case names, body), e.g.
        ``headers["x-shopify-api-version"]`` and ``headers.get("x-shopify-api-deprecated-reason")``."""
        return self._exchange(
            "POST",
            self.graphql_url(version),
            {"query": query, "variables": variables or {}},
            {"X-Shopify-Access-Token": token or self.token},
        )

    # --- access tokens (/admin/oauth/...) -----------------------------------------------------------

    def token_request(self, params: dict[str, str], *, as_json: bool = False) -> tuple[int, Any]:
        """POST /admin/oauth/access_token form-encoded (or as JSON); returns (status, JSON body)."""
        if as_json:
            return self._request("POST", "/admin/oauth/access_token", params)
        request = urllib.request.Request(  # noqa: S310 - our own http base URL
            self.base_url + "/admin/oauth/access_token",
            data=urllib.parse.urlencode(params).encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def request_token(self) -> dict:
        """A token by the client credentials grant: ``{"access_token", "scope", "expires_in"}``."""
        status, body = self.token_request(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
        )
        if status != 200:
            raise DevstoreError(f"client credentials grant -> {status}: {body}")
        return body

    def authorize(self, redirect_uri: str, *, scope: str | None = None, state: str | None = None) -> dict:
        """Walk the install page: the query parameters Shopify would redirect back with (code, hmac, …)."""
        query = {"client_id": self.client_id, "redirect_uri": redirect_uri}
        if scope is not None:
            query["scope"] = scope
        if state is not None:
            query["state"] = state
        status, location = self.redirect_target("/admin/oauth/authorize?" + urllib.parse.urlencode(query))
        if status != 302:
            raise DevstoreError(f"authorize -> {status}: {location}")
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))

    def redirect_target(self, path: str) -> tuple[int, str]:
        """GET without following a redirect: (status, Location header or the body)."""

        class Stay(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        opener = urllib.request.build_opener(Stay)
        try:
            with opener.open(self.base_url + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location") or exc.read().decode()

    def exchange_code(self, code: str) -> dict:
        """An offline token by the authorization code grant: ``{"access_token", "scope"}``."""
        status, body = self.token_request(
            {"client_id": self.client_id, "client_secret": self.client_secret, "code": code}
        )
        if status != 200:
            raise DevstoreError(f"authorization code grant -> {status}: {body}")
        return body

    def expire_tokens(self) -> int:
        """Make every issued token expire now (the static ``token`` stays valid); returns how many."""
        return self.post("/_devstore/tokens/expire")["expired"]

    def tokens(self) -> list[dict]:
        return self.get("/_devstore/tokens")

    # --- control API -------------------------------------------------------------------------------

    def create_order(self, **fields: Any) -> dict:
        """POST /_devstore/orders with REST-shaped fields; returns ``{"id", "legacy_id", "name"}``.

        Paid by one sale for the total unless ``payments`` says otherwise: a list of ``{"gateway",
        "amount", "kind"}`` adding up to the total (in the shop's currency), ``kind`` one of "sale" (the
        default), "authorization" (held, not taken) or "capture" (an authorization and its capture), e.g.
        ``payments=[{"gateway": "shopify_payments", "amount": "30.00"}, {"gateway": "gift_card",
        "amount": "20.00"}]``, one transaction each, in that order. The financial status follows from them
        (paid, partially_paid or authorized); a ``financial_status`` sent along must agree."""
        fields.setdefault("email", "shopper@example.com")
        fields.setdefault("line_items", [{"title": "Test item", "quantity": 1, "price": "10.00"}])
        return self.post("/_devstore/orders", fields)

    def fulfill(self, legacy_id: int, line_items: list[dict] | None = None) -> dict:
        return self.post(
            f"/_devstore/orders/{legacy_id}/fulfill", {"line_items": line_items} if line_items else {}
        )

    def deliver(self, legacy_id: int, at: float | None = None) -> dict:
        """The carrier delivered the order's shipments (``Fulfillment.deliveredAt``), now or at ``at``."""
        return self.post(f"/_devstore/orders/{legacy_id}/deliver", {"at": at} if at is not None else {})

    def cancel(self, legacy_id: int, **fields: Any) -> dict:
        return self.post(f"/_devstore/orders/{legacy_id}/cancel", fields)

    def order(self, legacy_id: int) -> dict:
        """The order REST-shaped, plus ``fulfillments`` (each with its ``line_items``: the ids a return
        names), ``returns`` (see `returns`), ``fulfillment_orders``, ``holds`` and ``refunds``."""
        return self.get(f"/_devstore/orders/{legacy_id}")

    def fulfillment_orders(self, legacy_id: int) -> list[dict]:
        """The order's fulfilment orders: ``id`` (a number), ``status`` and ``request_status`` (lower case),
        ``location_id`` and ``line_items``."""
        return self.order(legacy_id)["fulfillment_orders"]

    def report_progress(self, fulfillment_order_id: int | str, notes: str | None = None) -> dict:
        """The warehouse reports progress on a fulfilment order (a number or its gid): open → in progress,
        with ``fulfillment_orders/progress_reported``. Returns the order as `order` does."""
        return self._change_fulfillment_order(fulfillment_order_id, "progress", {"notes": notes})

    def stop_progress(self, fulfillment_order_id: int | str) -> dict:
        """Progress reported by mistake: back to open, with
        ``fulfillment_orders/manually_reported_progress_stopped``."""
        return self._change_fulfillment_order(fulfillment_order_id, "stop_progress", {})

    def accept_fulfillment_request(self, fulfillment_order_id: int | str, message: str | None = None) -> dict:
        """A fulfilment service accepts the fulfilment order: in progress, request status accepted, with
        ``fulfillment_orders/fulfillment_request_accepted``."""
        return self._change_fulfillment_order(fulfillment_order_id, "accept", {"message": message})

    def move_fulfillment_order(self, fulfillment_order_id: int | str, location_id: int) -> dict:
        """The merchant moves what is left of a fulfilment order to another location (1 and 2 exist), with
        ``fulfillment_orders/moved``."""
        return self._change_fulfillment_order(fulfillment_order_id, "move", {"location_id": location_id})

    def _change_fulfillment_order(self, fulfillment_order_id: int | str, change: str, body: dict) -> dict:
        return self.post(f"/_devstore/fulfillment_orders/{_number(fulfillment_order_id)}/{change}", body)

    def returns(self, legacy_id: int) -> list[dict]:
        """The order's returns, oldest first: ``id``, ``name``, ``status`` ("requested", "open", "declined"…),
        ``line_items`` (``fulfillment_line_item_id``, ``line_item_id``, ``quantity``, ``return_reason``,
        ``customer_note``) and ``decline`` (``reason``, ``note``) or None."""
        return self.order(legacy_id)["returns"]

    def approve_return(self, return_id: int | str) -> dict:
        """Approve a requested return (a number or its gid) as a merchant does in Shopify's admin: it opens,
        and ``returns/approve`` then ``orders/updated`` go out. Returns it as `returns` shows it."""
        return self.post(f"/_devstore/returns/{_number(return_id)}/approve")

    def decline_return(self, return_id: int | str, *, reason: str = "other", note: str | None = None) -> dict:
        """Decline a requested return in Shopify's admin for ``reason`` ("other", "final_sale",
        "return_period_ended") with ``note`` for the customer: ``returns/decline`` then ``orders/updated``
        go out. Returns it as `returns` shows it."""
        return self.post(f"/_devstore/returns/{_number(return_id)}/decline", {"reason": reason, "note": note})

    def fulfillment_line_items(self, legacy_id: int) -> list[dict]:
        """Every fulfillment line item of the order (``id``, ``line_item_id``, ``quantity``), in shipping
        order: what ``returnRequest`` takes as ``fulfillmentLineItemId`` (as gid FulfillmentLineItem)."""
        return [fli for f in self.order(legacy_id)["fulfillments"] for fli in f["line_items"]]

    def orders(self, email: str | None = None) -> list[dict]:
        return self.get("/_devstore/orders" + (f"?email={urllib.parse.quote(email)}" if email else ""))

    def products(self) -> list[dict]:
        """The catalogue, REST-shaped: each product with its ``variants`` (id, title, price, sku,
        ``inventory_quantity``, ``available_for_sale``…)."""
        return self.get("/_devstore/products")

    def product(self, product_id: int) -> dict:
        return self.get(f"/_devstore/products/{product_id}")

    def create_product(self, **fields: Any) -> dict:
        """Add a product: ``title``, ``options`` (names) and ``variants`` (each with ``options`` values,
        ``price``, ``sku``, ``inventory_quantity``, ``inventory_management``: "shopify" or None for
        untracked, ``inventory_policy``: "deny" or "continue"). Without options, one default variant."""
        return self.post("/_devstore/products", fields)

    def variant(self, variant_id: int | str) -> dict:
        return self.get(f"/_devstore/variants/{_number(variant_id)}")

    def set_inventory(self, variant_id: int | str, quantity: int) -> dict:
        """Set a variant's stock on hand (a number or its gid); returns the variant."""
        return self.post(f"/_devstore/variants/{_number(variant_id)}", {"inventory_quantity": quantity})

    def gift_cards(self) -> list[dict]:
        """Every gift card issued, oldest first, REST-shaped with its whole ``code`` (lower-case, as Shopify
        keeps it), ``last_characters``, ``customer_id``, ``note``, ``initial_value``, ``balance``,
        ``currency``, ``enabled``, ``expires_on`` and ``created_at``."""
        return self.get("/_devstore/gift_cards")

    def fault(self, kind: str, count: int = 1, rate: float | None = None) -> dict:
        body: dict[str, Any] = {"kind": kind, "count": count}
        if rate is not None:
            body["rate"] = rate
        return self.post("/_devstore/faults", body)

    def calls(self) -> list[dict]:
        return self.get("/_devstore/calls")

    def webhooks(self) -> list[dict]:
        return self.get("/_devstore/webhooks")

    def set_protected_data(self, fields: Iterable[str]) -> list[str]:
        """Grant the app these protected customer fields (of name, email, phone, address) from now on, and
        no others (``[]``: Level 1 only); returns what is granted. ``reset`` restores the startup grant."""
        return self.post("/_devstore/protected-data", {"fields": list(fields)})["fields"]

    def protected_data_granted(self) -> list[str]:
        return self.get("/_devstore/protected-data")["fields"]

    def set_deprecated_versions(self, versions: Iterable[str]) -> list[str]:
        """Announce these API versions (among those served) as deprecated from now on; ``[]`` for none.
        ``reset`` restores the startup list."""
        return self.post("/_devstore/api-versions", {"deprecated": list(versions)})["deprecated"]

    def versions(self) -> dict:
        """``{"supported": [...], "deprecated": [...]}``, oldest first."""
        return self.get("/_devstore/api-versions")

    def set_shop_state(self, state: str) -> dict:
        """Make every Admin API call answer as Shopify does for a shop in ``state`` from now on: "frozen"
        (402), "locked" (423), "gone" (404), each with a string ``errors``; "active" as usual. Returns
        ``{"state", "refused"}`` (calls refused since). ``reset`` makes the shop active again."""
        return self.post("/_devstore/shop-state", {"state": state})

    def set_auto_archive(self, enabled: bool) -> bool:
        """Turn the shop's "Automatically archive the order" setting on or off from now on: off, a cancel
        leaves the order open (closed false) until orderClose. ``reset`` restores the startup setting."""
        return self.post("/_devstore/settings", {"auto_archive": enabled})["auto_archive"]

    def settings(self) -> dict:
        """``{"auto_archive": bool}``."""
        return self.get("/_devstore/settings")

    def shop_state(self) -> dict:
        """``{"state": ..., "refused": N}``: the Admin API calls refused since the state was set."""
        return self.get("/_devstore/shop-state")

    def reset(self, seed: int | None = None) -> dict:
        return self.post("/_devstore/reset", {"seed": seed} if seed else {})


def _number(value: int | str) -> int:
    """The number behind a gid (``gid://shopify/ProductVariant/49…``) or the number itself."""
    return int(str(value).rsplit("/", 1)[-1])


def start_devstore(**options: Any) -> Devstore:
    """Start a devstore process and return it (use as a context manager to stop it); options as `Devstore`."""
    return Devstore(**options).start()
