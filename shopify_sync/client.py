"""The one place that speaks to Shopify's Admin GraphQL API.

A `requests.Session` (one per thread, kept across clients, so connections are reused) with connect and
read timeouts, the token header and the pinned API version; the GraphQL documents live in
`shopify_sync/graphql/*.graphql`. Answers come back as the typed objects of `shopify_sync.types`;
failures as the exceptions of `shopify_sync.errors`.

Retries: queries are retried on 5xx, timeouts and connection failures with exponential backoff and full
jitter, a bounded number of times. Mutations are not: a mutation that got no answer may have happened, and a
cancel or a refund must never be sent twice, so the caller gets `ShopifyTransientError(may_have_applied=True)`
and re-reads the order before deciding. Throttling is handled here for both: a THROTTLED answer means
Shopify did not run the request, so it is waited out and sent again. A shop that refuses every call (frozen,
locked, gone: `ShopifyShopUnavailable`) is never retried: nothing changes until a person acts.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from shopify_sync import graphql_results, order_edits, returns
from shopify_sync.deliveries import OrderDeliveries, order_deliveries
from shopify_sync.errors import (
    SHOP_STATE_STATUSES,
    ShopifyAuthError,
    ShopifyGraphQLError,
    ShopifyTransientError,
    ShopifyUserError,
    UserError,
    shop_unavailable,
)
from shopify_sync.graphql import document
from shopify_sync.order_edits import (
    EditableOrder,
    EditPreview,
    EditStale,
    LineChange,
    PriceChanged,
    VariantOption,
)
from shopify_sync.returns import OrderReturnables
from shopify_sync.throttle import CostBucket, ThrottleStatus
from shopify_sync.types import MailingAddress, Money, OrderData, ShopData

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 250  # Shopify's cap on `first`


@dataclass(frozen=True, slots=True)
class OrdersPage:
    orders: list[OrderData]
    has_next_page: bool
    end_cursor: str | None
    requested_cost: int | None
    actual_cost: int | None
    page_size: int


@dataclass(frozen=True, slots=True)
class CancelJob:
    job_id: str | None
    done: bool


@dataclass(frozen=True, slots=True)
class BulkOperation:
    id: str
    status: str
    error_code: str | None
    object_count: int
    root_object_count: int
    url: str | None
    partial_data_url: str | None
    completed_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}

    @classmethod
    def from_node(cls, node: dict) -> BulkOperation:
        return cls(
            id=node["id"],
            status=node["status"],
            error_code=node.get("errorCode"),
            object_count=int(node.get("objectCount") or 0),
            root_object_count=int(node.get("rootObjectCount") or 0),
            url=node.get("url"),
            partial_data_url=node.get("partialDataUrl"),
            completed_at=graphql_results.parse_datetime(node.get("completedAt")),
        )


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    id: str
    topic: str
    uri: str


@dataclass(frozen=True, slots=True)
class OrderTransaction:
    id: str
    kind: str  # OrderTransactionKind: SALE, CAPTURE, AUTHORIZATION, REFUND, VOID, ...
    status: str  # OrderTransactionStatus: SUCCESS, PENDING, FAILURE, ...
    gateway: str
    amount: Money  # in the currency the shopper paid in
    parent_id: str | None


@dataclass(frozen=True, slots=True)
class RefundShare:
    """One payment a refund goes back to: its parent transaction, gateway and amount (the shopper's
    currency). Several when the order was paid several ways."""

    parent_id: str
    gateway: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class RefundRecord:
    id: str
    note: str
    amount: Money  # in the currency the shopper paid in


@dataclass(frozen=True, slots=True)
class OrderPayments:
    order_gid: str
    presentment_currency: str
    transactions: list[OrderTransaction]
    refunds: list[RefundRecord]

    def captured(self) -> list[OrderTransaction]:
        """Successful transactions that took the shopper's money: what a refund names as its parent."""
        return [t for t in self.transactions if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"]


class TokenSource(Protocol):
    """Where a client gets its access token (`shopify_sync.tokens.ShopToken` renews one that expires)."""

    def current(self) -> str: ...

    def renewed(self, rejected: str) -> str: ...


class StaticToken:
    """A token that is what it is: a legacy custom app's, or a test's."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "<StaticToken>"

    def current(self) -> str:
        return self._value

    def renewed(self, rejected: str) -> str:
        raise ShopifyAuthError(
            "Shopify refused the access token (HTTP 401): check SHOPIFY_ACCESS_TOKEN and the app's scopes"
        )


# Shopify names a deprecated API version (or a deprecated field used) in this header of every answer.
DEPRECATION_HEADER = "X-Shopify-API-Deprecated-Reason"
_deprecations_logged: set[str] = set()


@dataclass(frozen=True, slots=True)
class ProtectedDataProbe:
    orders_read: int
    denied_fields: tuple[str, ...]  # Shopify's field names, e.g. "email", "firstName", "address1"


_NOT_APPROVED_FIELD = re.compile(r"not approved to use the (\w+) field")

REFUND_METHODS = {
    "original": {"originalPaymentMethodsRefund": True},
    "store_credit": {"storeCreditRefund": {}},
}


@dataclass(frozen=True, slots=True)
class FulfillmentHoldState:
    id: str
    handle: str
    ours: bool  # placed by this app (Shopify's heldByRequestingApp)
    reason: str = ""  # FulfillmentHoldReason: OTHER, AWAITING_PAYMENT, ...
    reason_notes: str = ""


@dataclass(frozen=True, slots=True)
class FulfillmentOrderState:
    id: str
    status: str  # OPEN, ON_HOLD, IN_PROGRESS, CLOSED, ...
    holds: tuple[FulfillmentHoldState, ...]
    request_status: str = ""  # UNSUBMITTED, SUBMITTED, ACCEPTED, ...
    location_gid: str = ""
    location_name: str = ""


@dataclass(frozen=True, slots=True)
class GiftCardRecord:
    id: str
    last_characters: str
    note: str
    amount: Money
    customer_gid: str | None


_local = threading.local()


def shared_session() -> requests.Session:
    """This thread's HTTP session, kept across clients: a client is made per task or page, and a new
    session each time opened a new connection (and, to Shopify, a new TLS handshake) for every call.
    Per thread, since a session is not thread-safe; per process, since a forked worker must not share
    its parent's sockets."""
    pid = os.getpid()
    session = getattr(_local, "session", None)
    if session is None or _local.pid != pid:
        session = requests.Session()
        session.headers.update({"Content-Type": "application/json"})
        _local.session, _local.pid = session, pid
    return session


class ShopifyClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_version: str,
        token: TokenSource | None = None,
        access_token: str | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        max_attempts: int = 6,
        max_throttled_attempts: int = 30,
        backoff_base: float = 0.5,
        backoff_cap: float = 16.0,
        session: requests.Session | None = None,
        bucket: CostBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
        shop_domain: str | None = None,
    ):
        if token is None:
            if access_token is None:
                raise TypeError("ShopifyClient needs a token source or an access token")
            token = StaticToken(access_token)
        self.token = token
        self.api_version = api_version
        self.endpoint = f"{base_url.rstrip('/')}/admin/api/{api_version}/graphql.json"
        self.shop_domain = shop_domain or urlsplit(self.endpoint).netloc  # how errors name the shop
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_throttled_attempts = max_throttled_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self.bucket = bucket or CostBucket(sleep=sleep)
        self.session = session or shared_session()
        # Requested cost of each operation we have sent, by operation and page size: the bucket must hold
        # this much before we send it again.
        self._known_costs: dict[tuple[str, int | None], int] = {}
        self.requests_sent = 0
        self.throttled_answers = 0
        self.last_cost: dict = {}  # `extensions.cost` of the last answer
        self.deprecation_reasons: set[str] = set()  # what Shopify said is deprecated in what we sent
        self.served_version: str | None = None  # the version that answered: an unsupported one falls forward

    def __repr__(self) -> str:  # never show the token, even in a traceback's locals
        return f"<ShopifyClient {self.endpoint}>"

    # -- the transport ---------------------------------------------------------------------------------

    def execute(
        self, file: str, operation: str, variables: dict | None = None, *, mutation: bool = False
    ) -> dict:
        """Send one operation of `graphql/<file>.graphql`; return its `data`."""
        variables = variables or {}
        cost_key = (operation, variables.get("first"))
        attempts = throttled = 0
        while True:
            attempts += 1
            estimate = self._known_costs.get(cost_key, 0)
            self.bucket.acquire(estimate)
            status: ThrottleStatus | None = None
            try:
                body = self._post(
                    {"query": document(file), "operationName": operation, "variables": variables}
                )
                status = ThrottleStatus.from_extensions(body.get("extensions"))
            except ShopifyTransientError as exc:
                if mutation and exc.may_have_applied:
                    raise
                if attempts >= self.max_attempts:
                    raise ShopifyTransientError(
                        f"{operation}: gave up after {attempts} attempts: {exc}", may_have_applied=False
                    ) from exc
                self._backoff(attempts, operation, exc)
                continue
            finally:
                self.bucket.release(estimate, status)

            cost = self.last_cost = (body.get("extensions") or {}).get("cost") or {}
            if cost.get("requestedQueryCost") is not None:
                self._known_costs[cost_key] = int(cost["requestedQueryCost"])
            errors = _error_list(body.get("errors"))
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                self.throttled_answers += 1
                throttled += 1
                if throttled >= self.max_throttled_attempts:
                    raise ShopifyTransientError(f"{operation}: still throttled after {throttled} tries")
                # Not run by Shopify: wait until the bucket holds the whole requested cost, then resend.
                needed = cost.get("requestedQueryCost") or estimate
                self._sleep(max(self.bucket.seconds_until(needed), 0.05))
                continue
            if errors:
                raise ShopifyGraphQLError(operation, errors)
            return body.get("data") or {}

    def _post(self, payload: dict) -> dict:
        token = self.token.current()
        response = self._send(payload, token)
        if response.status_code == 401:
            # Shopify ran nothing (not even a mutation): renew the token once and send again. A second
            # 401 means the new token is refused too: an operator must act.
            response = self._send(payload, self.token.renewed(rejected=token))
        self.served_version = response.headers.get("X-Shopify-API-Version") or self.served_version
        reason = response.headers.get(DEPRECATION_HEADER)
        if reason:
            self.deprecation_reasons.add(reason)
            if reason not in _deprecations_logged:
                _deprecations_logged.add(reason)
                logger.warning("Shopify API %s is deprecated: %s", self.api_version, reason)
        if response.status_code in SHOP_STATE_STATUSES:
            refused = shop_unavailable(response.status_code, _json_or_none(response), shop=self.shop_domain)
            if refused is not None:
                raise refused
        if response.status_code in (401, 403):
            raise ShopifyAuthError(
                f"Shopify refused the access token (HTTP {response.status_code}): check the app's "
                "credentials and scopes (python manage.py shopify_check)"
            )
        if response.status_code == 429:
            raise ShopifyTransientError("HTTP 429 Too Many Requests", may_have_applied=False)
        if response.status_code >= 500:
            raise ShopifyTransientError(f"HTTP {response.status_code} from Shopify", may_have_applied=True)
        body = _json_or_none(response)
        if not isinstance(body, dict):
            raise ShopifyTransientError(
                f"HTTP {response.status_code} with a body that is not a JSON object", may_have_applied=True
            )
        return body

    def _send(self, payload: dict, token: str) -> requests.Response:
        self.requests_sent += 1
        try:
            return self.session.post(
                self.endpoint,
                json=payload,
                headers={"X-Shopify-Access-Token": token},
                timeout=self.timeout,
            )
        except requests.ConnectionError as exc:
            # A refused connection never carried the request; one lost half-way may have delivered it.
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            never_sent = isinstance(exc, requests.ConnectTimeout) or isinstance(reason, NewConnectionError)
            raise ShopifyTransientError(
                f"connection failed: {type(exc).__name__}", may_have_applied=not never_sent
            ) from None
        except requests.Timeout as exc:
            raise ShopifyTransientError(
                f"no answer in time: {type(exc).__name__}", may_have_applied=True
            ) from None

    def _backoff(self, attempt: int, operation: str, exc: Exception) -> None:
        delay = random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))
        logger.warning("shopify %s failed (%s); retry %d in %.2fs", operation, exc, attempt, delay)
        self._sleep(delay)

    # -- reads -------------------------------------------------------------------------------------------

    def shop(self) -> ShopData:
        return graphql_results.shop(self.execute("shop", "Shop")["shop"])

    def orders_page(
        self,
        *,
        first: int,
        after: str | None = None,
        query: str | None = None,
        sort_key: str = "UPDATED_AT",
        reverse: bool = False,
    ) -> OrdersPage:
        variables = {"first": first, "after": after, "query": query, "sortKey": sort_key, "reverse": reverse}
        connection = self.execute("orders", "Orders", variables)["orders"]
        cost = self.last_cost
        orders = [self._complete_order(node) for node in connection["nodes"]]
        return OrdersPage(
            orders=orders,
            has_next_page=bool(connection["pageInfo"]["hasNextPage"]),
            end_cursor=connection["pageInfo"].get("endCursor"),
            requested_cost=cost.get("requestedQueryCost"),
            actual_cost=cost.get("actualQueryCost"),
            page_size=first,
        )

    def iter_order_pages(
        self,
        *,
        query: str | None = None,
        sort_key: str = "UPDATED_AT",
        after: str | None = None,
        first: int = MAX_PAGE_SIZE,
    ) -> Iterator[OrdersPage]:
        """Every page of orders matching `query`, in full pages: Shopify's cost grows with the logarithm of
        `first`, so the largest page buys the most orders per point (a full MirroredOrder page is requested
        at under 200 points, far below the 1000-point cap)."""
        while True:
            page = self.orders_page(first=first, after=after, query=query, sort_key=sort_key)
            yield page
            if not page.has_next_page:
                return
            after = page.end_cursor

    def order(self, order_gid: str) -> OrderData | None:
        node = self.execute("orders", "Order", {"id": order_gid})["order"]
        return self._complete_order(node) if node else None

    def _complete_order(self, node: dict) -> OrderData:
        """An order with more lines than the first page: fetch the rest before anyone sees it."""
        lines = node.get("lineItems") or {}
        if not (lines.get("pageInfo") or {}).get("hasNextPage"):
            return graphql_results.order(node)
        all_lines = list(lines.get("nodes") or [])
        after = lines["pageInfo"].get("endCursor")
        while after:
            page = self.execute("orders", "OrderLineItems", {"id": node["id"], "after": after})["order"][
                "lineItems"
            ]
            all_lines += page["nodes"]
            after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
        return graphql_results.order(node, line_items=all_lines)

    def access_scopes(self) -> list[str]:
        """The scopes this installation of the app is granted."""
        installation = self.execute("app", "CurrentAppInstallation")["currentAppInstallation"]
        return [scope["handle"] for scope in installation["accessScopes"]]

    def protected_data_probe(self) -> ProtectedDataProbe:
        """Read a few recent orders' names, e-mails and addresses, as Shopify lets this app see them."""
        try:
            nodes = self.execute("app", "ProtectedDataProbe")["orders"]["nodes"]
        except ShopifyGraphQLError as exc:
            if "ACCESS_DENIED" not in exc.codes:
                raise
            # Shopify answers the rest and names each refused field: "This app is not approved to use
            # the email field. See https://shopify.dev/docs/apps/launch/protected-customer-data ..."
            denied = {
                match.group(1)
                for error in exc.errors
                if (match := _NOT_APPROVED_FIELD.search(str(error.get("message") or "")))
            }
            if not denied:  # a missing scope, not protected data: not this probe's to explain
                raise
            return ProtectedDataProbe(orders_read=0, denied_fields=tuple(sorted(denied)))
        return ProtectedDataProbe(orders_read=len(nodes), denied_fields=())

    def job_done(self, job_id: str) -> bool:
        job = self.execute("job", "Job", {"id": job_id})["job"]
        return bool(job and job["done"])

    # -- writes ------------------------------------------------------------------------------------------

    def order_cancel(
        self,
        *,
        order_gid: str,
        refund: str | None,
        restock: bool,
        notify_customer: bool,
        staff_note: str,
        reason: str = "CUSTOMER",
    ) -> CancelJob:
        """Ask Shopify to cancel an order. `refund` is "original", "store_credit" or None (no refund).
        Irreversible and asynchronous: the job finishes later; `cancelledAt` shows when it has."""
        variables = {
            "orderId": order_gid,
            "reason": reason,
            "restock": restock,
            "notifyCustomer": notify_customer,
            "staffNote": staff_note,
            "refundMethod": REFUND_METHODS[refund] if refund else None,
        }
        payload = self.execute("order_cancel", "OrderCancel", variables, mutation=True)["orderCancel"]
        _raise_user_errors("orderCancel", payload.get("orderCancelUserErrors"))
        job = payload.get("job") or {}
        return CancelJob(job_id=job.get("id"), done=bool(job.get("done")))

    def order_update_shipping_address(
        self, *, order_gid: str, address: MailingAddress
    ) -> MailingAddress | None:
        """Set an order's shipping address; returns the address as Shopify kept it."""
        variables = {"input": {"id": order_gid, "shippingAddress": address.as_mailing_address_input()}}
        payload = self.execute("order_update", "OrderUpdateShippingAddress", variables, mutation=True)[
            "orderUpdate"
        ]
        _raise_user_errors("orderUpdate", payload.get("userErrors"))
        return MailingAddress.from_graphql((payload.get("order") or {}).get("shippingAddress"))

    def order_close(self, *, order_gid: str) -> bool:
        """Archive the order; returns whether Shopify shows it closed."""
        payload = self.execute("order_close", "OrderClose", {"input": {"id": order_gid}}, mutation=True)
        payload = payload["orderClose"]
        _raise_user_errors("orderClose", payload.get("userErrors"))
        return bool((payload.get("order") or {}).get("closed"))

    # -- order edits ----------------------------------------------------------------------------------

    def order_edit_preview(self, *, order_gid: str, changes: list[LineChange]) -> EditPreview:
        """Shopify's price of the changes: an edit begun and staged, never committed. Not a change to the
        order, so safe to repeat (each call is an edit session of its own)."""
        return self._order_edit_staged(order_gid, changes)[1]

    def order_edit_commit(
        self,
        *,
        order_gid: str,
        changes: list[LineChange],
        notify_customer: bool,
        staff_note: str,
        expect_outstanding: Decimal | None = None,
        still_valid: Callable[[EditableOrder], str | None] | None = None,
    ) -> str:
        """Apply the changes to the order; returns the order's new `updatedAt`. Irreversible, and not
        idempotent on Shopify's side: a caller that lost the answer reads the order before sending again.

        `expect_outstanding`: what the shopper agreed to (the preview's outstanding amount, in the
        currency they paid in). Shopify prices the staged edit again; a different figure raises
        `PriceChanged` and nothing is committed (the uncommitted edit expires by itself). `still_valid`
        looks at the order read again after staging: a reason from it raises `EditStale`, not committed."""
        session, preview = self._order_edit_staged(order_gid, changes)
        found = preview.outstanding.presentment.amount
        if expect_outstanding is not None and found != expect_outstanding:
            raise PriceChanged(expected=expect_outstanding, found=found)
        if still_valid is not None:
            # The order may have moved while the edit was staged (a line fulfilled): look once more, as
            # close to the commit as we can, since a commit cannot be taken back.
            current = self.order_for_edit(order_gid)
            reason = "the order is gone" if current is None else still_valid(current)
            if reason:
                raise EditStale(reason)
        variables = {"id": session, "notifyCustomer": notify_customer, "staffNote": staff_note}
        payload = self.execute("order_edit", "OrderEditCommit", variables, mutation=True)["orderEditCommit"]
        _raise_user_errors("orderEditCommit", payload.get("userErrors"))
        return ((payload.get("order") or {}).get("updatedAt")) or ""

    def _order_edit_staged(self, order_gid: str, changes: list[LineChange]) -> tuple[str, EditPreview]:
        """Begin an edit and stage `changes`; the edit's id and Shopify's calculated order."""
        # Begin and set-quantity stage a draft, and sending either again changes nothing the first did not:
        # they may be retried like queries. Adding a variant twice would add it twice: never resent.
        begun = self.execute("order_edit", "OrderEditBegin", {"id": order_gid})["orderEditBegin"]
        _raise_user_errors("orderEditBegin", begun.get("userErrors"))
        preview = order_edits.edit_preview(begun["calculatedOrder"])
        edit_id = preview.calculated_order_gid
        for change in changes:
            line = preview.line_for(change.line_item_gid)
            if line is None:
                raise ShopifyUserError(
                    "orderEditSetQuantity", [UserError(("lineItemId",), "The line item is not on this order")]
                )
            if change.swap_to:
                variables = {"id": edit_id, "variantId": change.swap_to, "quantity": change.quantity}
                added = self.execute("order_edit", "OrderEditAddVariant", variables, mutation=True)
                _raise_user_errors("orderEditAddVariant", added["orderEditAddVariant"].get("userErrors"))
            quantity = 0 if change.swap_to else change.quantity
            variables = {
                "id": edit_id,
                "lineItemId": line.gid,
                "quantity": quantity,
                "restock": change.restock,
            }
            staged = self.execute("order_edit", "OrderEditSetQuantity", variables)
            staged = staged["orderEditSetQuantity"]
            _raise_user_errors("orderEditSetQuantity", staged.get("userErrors"))
            preview = order_edits.edit_preview(staged["calculatedOrder"])
        return edit_id, preview

    def product_variants(self, product_gid: str) -> list[VariantOption]:
        """The variants of a product a line may be swapped for, with stock."""
        product = self.execute("order_edit", "ProductVariantsForSwap", {"id": product_gid})["product"]
        return order_edits.variant_options(product)

    def products_variants(self, product_gids: list[str]) -> dict[str, list[VariantOption]]:
        """The variants of several products in one call, by product gid (a deleted product is left out)."""
        if not product_gids:
            return {}
        nodes = self.execute("order_edit", "ProductsVariantsForSwap", {"ids": product_gids})["nodes"]
        return {node["id"]: order_edits.variant_options(node) for node in nodes if node and node.get("id")}

    def order_for_edit(self, order_gid: str) -> EditableOrder | None:
        """The order's lines with their variants and products, live (the mirror keeps neither)."""
        node = self.execute("order_edit", "OrderForEdit", {"id": order_gid})["order"]
        return order_edits.editable_order(node) if node else None

    def bulk_orders_start(self) -> BulkOperation:
        variables = {"query": document("bulk_orders")}
        payload = self.execute("bulk_operations", "BulkOperationRunQuery", variables, mutation=True)
        payload = payload["bulkOperationRunQuery"]
        _raise_user_errors("bulkOperationRunQuery", payload.get("userErrors"))
        return BulkOperation.from_node(payload["bulkOperation"])

    def bulk_operation(self, operation_id: str) -> BulkOperation:
        return BulkOperation.from_node(
            self.execute("bulk_operations", "BulkOperation", {"id": operation_id})["node"]
        )

    def current_bulk_operation(self) -> BulkOperation | None:
        node = self.execute("bulk_operations", "CurrentBulkOperation")["currentBulkOperation"]
        return BulkOperation.from_node(node) if node else None

    def webhook_subscriptions(self) -> list[WebhookSubscription]:
        found: list[WebhookSubscription] = []
        after = None
        while True:
            connection = self.execute("webhooks", "WebhookSubscriptions", {"after": after})[
                "webhookSubscriptions"
            ]
            found += [
                WebhookSubscription(n["id"], n["topic"], n.get("uri") or "") for n in connection["nodes"]
            ]
            if not connection["pageInfo"]["hasNextPage"]:
                return found
            after = connection["pageInfo"]["endCursor"]

    def webhook_subscription_create(self, *, topic: str, uri: str) -> WebhookSubscription:
        variables = {"topic": topic, "uri": uri}
        payload = self.execute("webhooks", "WebhookSubscriptionCreate", variables, mutation=True)
        payload = payload["webhookSubscriptionCreate"]
        _raise_user_errors("webhookSubscriptionCreate", payload.get("userErrors"))
        node = payload["webhookSubscription"]
        return WebhookSubscription(node["id"], node["topic"], node.get("uri") or "")

    # -- payments and refunds -------------------------------------------------------------------------

    def order_transactions(self, order_gid: str) -> OrderPayments | None:
        """An order's transactions and refunds (None when the order does not exist)."""
        node = self.execute("order_transactions", "OrderTransactions", {"id": order_gid})["order"]
        if not node:
            return None
        currency = node.get("presentmentCurrencyCode") or ""
        return OrderPayments(
            order_gid=node["id"],
            presentment_currency=currency,
            transactions=[
                OrderTransaction(
                    id=t["id"],
                    kind=t["kind"],
                    status=t["status"],
                    gateway=t.get("gateway") or "",
                    amount=_presentment_money(t.get("amountSet"), currency),
                    parent_id=(t.get("parentTransaction") or {}).get("id"),
                )
                for t in node.get("transactions") or []
            ],
            refunds=[
                RefundRecord(
                    id=r["id"],
                    note=r.get("note") or "",
                    amount=_presentment_money(r.get("totalRefundedSet"), currency),
                )
                for r in node.get("refunds") or []
            ],
        )

    def suggested_refund_shares(self, order_gid: str) -> list[RefundShare]:
        """Shopify's full-refund suggestion as (payment, most it can still take back), in Shopify's order."""
        node = self.execute("suggested_refund", "SuggestedFullRefund", {"id": order_gid})["order"]
        suggestion = (node or {}).get("suggestedRefund") or {}
        shares = []
        for tx in suggestion.get("suggestedTransactions") or []:
            parent = tx.get("parentTransaction") or {}
            most = (tx.get("maximumRefundableSet") or tx.get("amountSet") or {}).get("presentmentMoney") or {}
            amount = Decimal(str(most.get("amount") or "0"))
            if parent.get("id") and amount > 0:
                shares.append(
                    RefundShare(parent["id"], tx.get("gateway") or parent.get("gateway") or "", amount)
                )
        return shares

    def refund_create(
        self,
        *,
        order_gid: str,
        shares: list[RefundShare],
        currency: str,
        note: str,
        notify: bool,
        idempotency_key: str,
    ) -> RefundRecord:
        """Refund each share (in the currency the shopper paid in) to its payment, in one refund.

        Money: never re-sent blindly. Shopify refunds once per `idempotency_key` however often the same
        key arrives, so a caller that lost an answer re-sends with the same key; `note` lets it find the
        refund in `order_transactions` before deciding to.
        """
        variables = {
            "idempotencyKey": idempotency_key,
            "input": {
                "orderId": order_gid,
                "currency": currency or None,
                "note": note,
                "notify": notify,
                "transactions": [
                    {
                        "orderId": order_gid,
                        "parentId": share.parent_id,
                        "gateway": share.gateway,
                        "kind": "REFUND",
                        "amount": str(share.amount),
                    }
                    for share in shares
                ],
            },
        }
        payload = self.execute("refund_create", "RefundCreate", variables, mutation=True)["refundCreate"]
        _raise_user_errors("refundCreate", payload.get("userErrors"))
        refund = payload.get("refund") or {}
        return RefundRecord(
            id=refund.get("id") or "",
            note=refund.get("note") or "",
            amount=_presentment_money(refund.get("totalRefundedSet"), currency),
        )

    # -- fulfilment holds ------------------------------------------------------------------------------

    def fulfillment_orders(self, order_gid: str) -> list[FulfillmentOrderState] | None:
        """The order's fulfilment orders with their holds; None when the order does not exist."""
        node = self.execute("fulfillment_holds", "OrderFulfillmentOrders", {"id": order_gid})["order"]
        if node is None:
            return None
        return _fulfillment_order_states(node)

    def fulfillment_order_with_siblings(
        self, fulfillment_order_gid: str
    ) -> tuple[str, list[FulfillmentOrderState]] | None:
        """The order a fulfilment order belongs to (its gid) with all of that order's fulfilment orders;
        None when Shopify shows no such fulfilment order."""
        node = self.execute(
            "fulfillment_holds", "FulfillmentOrderWithSiblings", {"id": fulfillment_order_gid}
        )["fulfillmentOrder"]
        if node is None or not node.get("order"):
            return None
        return node["order"]["id"], _fulfillment_order_states(node["order"])

    def fulfillment_order_hold(self, *, fulfillment_order_gid: str, handle: str, notes: str) -> str:
        """Hold a fulfilment order (reason OTHER, the merchant not notified); returns the hold's id.
        A handle this app already holds the order with is refused (`DUPLICATE_FULFILLMENT_HOLD_HANDLE`)."""
        variables = {
            "id": fulfillment_order_gid,
            "fulfillmentHold": {
                "reason": "OTHER",
                "reasonNotes": notes,
                "handle": handle,
                "notifyMerchant": False,
            },
        }
        payload = self.execute("fulfillment_holds", "FulfillmentOrderHold", variables, mutation=True)
        payload = payload["fulfillmentOrderHold"]
        _raise_user_errors("fulfillmentOrderHold", payload.get("userErrors"))
        return (payload.get("fulfillmentHold") or {}).get("id") or ""

    def fulfillment_order_release_hold(self, *, fulfillment_order_gid: str, hold_ids: list[str]) -> str:
        """Release the named holds only; returns the fulfilment order's status after."""
        variables = {"id": fulfillment_order_gid, "holdIds": hold_ids}
        payload = self.execute("fulfillment_holds", "FulfillmentOrderReleaseHold", variables, mutation=True)
        payload = payload["fulfillmentOrderReleaseHold"]
        _raise_user_errors("fulfillmentOrderReleaseHold", payload.get("userErrors"))
        return ((payload.get("fulfillmentOrder") or {}).get("status")) or ""

    # -- returns --------------------------------------------------------------------------------------

    def order_deliveries(self, order_gid: str) -> OrderDeliveries | None:
        """When the order's shipments left and arrived; None when the order does not exist."""
        node = self.execute("deliveries", "OrderDeliveries", {"id": order_gid})["order"]
        return order_deliveries(node) if node else None

    def order_returnables(self, order_gid: str) -> OrderReturnables | None:
        """What the order's shopper may send back, and the order's returns; None when it does not exist."""
        node = self.execute("returns", "OrderReturnables", {"id": order_gid})["order"]
        return returns.order_returnables(node) if node else None

    def return_request(self, *, order_gid: str, lines: list[tuple[str, int]], reason: str, note: str) -> str:
        """Ask for a return of (fulfillment line item, quantity) pairs; returns the Return's id."""
        variables = {
            "input": {
                "orderId": order_gid,
                "returnLineItems": [
                    # `returnReason` is deprecated for shop-specific reason definitions; the enum is
                    # the one vocabulary every store shares.
                    {
                        "fulfillmentLineItemId": fli,
                        "quantity": quantity,
                        "returnReason": reason,
                        "customerNote": note,
                    }
                    for fli, quantity in lines
                ],
            }
        }
        payload = self.execute("returns", "ReturnRequest", variables, mutation=True)["returnRequest"]
        _raise_user_errors("returnRequest", payload.get("userErrors"))
        return (payload.get("return") or {}).get("id") or ""

    def return_approve(self, *, return_gid: str) -> str:
        """Approve a requested return; returns its status after (OPEN)."""
        payload = self.execute(
            "returns", "ReturnApproveRequest", {"input": {"id": return_gid}}, mutation=True
        )
        payload = payload["returnApproveRequest"]
        _raise_user_errors("returnApproveRequest", payload.get("userErrors"))
        return (payload.get("return") or {}).get("status") or ""

    def return_decline(self, *, return_gid: str, reason: str, note: str) -> str:
        """Decline a requested return for `reason` (a ReturnDeclineReason: RETURN_PERIOD_ENDED, FINAL_SALE,
        OTHER) with `note` for the customer (at most 500 characters; none when empty). Shopify does not
        e-mail the customer (`notifyCustomer` stays false): the portal does. Returns the status after
        (DECLINED)."""
        decline: dict[str, object] = {"id": return_gid, "declineReason": reason}
        if note:
            decline["declineNote"] = note
        payload = self.execute("returns", "ReturnDeclineRequest", {"input": decline}, mutation=True)
        payload = payload["returnDeclineRequest"]
        _raise_user_errors("returnDeclineRequest", payload.get("userErrors"))
        return (payload.get("return") or {}).get("status") or ""

    # -- store credit ---------------------------------------------------------------------------------

    def gift_cards_with_code(self, code: str) -> list[GiftCardRecord]:
        """The gift cards whose code is `code` (Shopify's search matches codes case-insensitively)."""
        nodes = self.execute("gift_cards", "GiftCardsByCode", {"query": code})["giftCards"]["nodes"]
        wanted = code[-4:].lower()
        return [_gift_card(node) for node in nodes if (node.get("lastCharacters") or "").lower() == wanted]

    def gift_card_create(
        self, *, code: str, amount: Decimal, currency: str, customer_gid: str | None, note: str
    ) -> GiftCardRecord:
        """Issue a gift card with the given code. Shopify refuses a code already in use ("Code has already
        been taken"): a resend of the same card cannot make a second one. Shopify keeps codes lower-case
        and compares them without case."""
        variables = {
            "input": {
                "code": code,
                "initialAmount": {"amount": str(amount), "currencyCode": currency},
                "customerId": customer_gid,
                "note": note,
            }
        }
        payload = self.execute("gift_cards", "GiftCardCreate", variables, mutation=True)["giftCardCreate"]
        _raise_user_errors("giftCardCreate", payload.get("userErrors"))
        return _gift_card(payload.get("giftCard") or {})


def _json_or_none(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _error_list(errors: object) -> list[dict]:
    """A GraphQL answer's `errors` as a list of error objects. Shopify sends a list, except in answers
    outside GraphQL proper, where it is a string (`"Invalid API key or access token"`) or an object
    (`{"query": "Required parameter missing or invalid"}`)."""
    if not errors:
        return []
    if isinstance(errors, str):
        return [{"message": errors}]
    if isinstance(errors, dict):
        return [{"message": f"{key}: {value}"} for key, value in errors.items()]
    if isinstance(errors, list):
        return [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
    return [{"message": str(errors)}]


def _gift_card(node: dict) -> GiftCardRecord:
    value = node.get("initialValue") or {}
    return GiftCardRecord(
        id=node.get("id") or "",
        last_characters=node.get("lastCharacters") or "",
        note=node.get("note") or "",
        amount=Money(Decimal(str(value.get("amount") or "0")), value.get("currencyCode") or ""),
        customer_gid=(node.get("customer") or {}).get("id"),
    )


def _fulfillment_order_states(order_node: dict) -> list[FulfillmentOrderState]:
    states = []
    for fo in (order_node.get("fulfillmentOrders") or {}).get("nodes") or []:
        assigned = fo.get("assignedLocation") or {}
        states.append(
            FulfillmentOrderState(
                id=fo["id"],
                status=fo.get("status") or "",
                holds=tuple(
                    FulfillmentHoldState(
                        id=hold["id"],
                        handle=hold.get("handle") or "",
                        ours=bool(hold.get("heldByRequestingApp")),
                        reason=hold.get("reason") or "",
                        reason_notes=hold.get("reasonNotes") or "",
                    )
                    for hold in fo.get("fulfillmentHolds") or []
                ),
                request_status=fo.get("requestStatus") or "",
                location_gid=(assigned.get("location") or {}).get("id") or "",
                location_name=assigned.get("name") or "",
            )
        )
    return states


def _raise_user_errors(operation: str, errors: list[dict] | None) -> None:
    if errors:
        raise ShopifyUserError(
            operation,
            [
                UserError(tuple(e["field"]) if e.get("field") else None, e["message"], e.get("code"))
                for e in errors
            ],
        )


def _presentment_money(bag: dict | None, currency: str) -> Money:
    return graphql_results.money((bag or {}).get("presentmentMoney"), currency)
