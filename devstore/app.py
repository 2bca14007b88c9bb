"""The devstore application: wires the store, schema, cost/throttle, faults and webhooks together and
answers Admin API requests (the HTTP layer in server.py only moves bytes)."""

from __future__ import annotations

import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
)

from . import actions, clock, oauth, protected_data, shop_state, versions
from .cost import MAX_QUERY_COST, CostCalculator, max_cost_error
from .documents import PreparedDocuments
from .faults import Faults
from .mutations import Mutation
from .resolvers import Context, QueryRoot, resolve_node_type
from .store import ShopConfig, Store
from .throttle import LeakyBucket
from .webhooks import WebhookDispatcher

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")
INVALID_TOKEN_BODY = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
THROTTLED_ERROR = {
    "message": "Throttled",
    "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
}


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str = "devstore-token"  # noqa: S105 - a local stand-in's default, not a secret
    client_id: str = "devstore-client-id"
    client_secret: str = "devstore-client-secret"  # noqa: S105 - likewise
    scopes: str = oauth.DEFAULT_SCOPES
    token_lifetime: int = oauth.DEFAULT_TOKEN_LIFETIME
    webhook_url: str | None = None
    webhook_secret: str = "devstore-secret"  # noqa: S105 - likewise
    webhook_retry_base: float = 0.5
    webhook_max_attempts: int = 8
    seed: int = 0
    random_seed: int = 42
    bucket: float = 2000
    restore_rate: float = 100
    state_file: Path | None = None
    job_delay: float = 0.3
    bulk_delay: float = 0.2
    fault_timeout_seconds: float = 10.0
    # Which protected customer fields (name, email, phone, address) the app may read: protected_data.py.
    protected_fields: frozenset[str] = protected_data.ALL
    # Stable API versions served, oldest first (older ones fall forward), and those announced as deprecated.
    api_versions: tuple[str, ...] = versions.DEFAULT_API_VERSIONS
    deprecated_versions: frozenset[str] = frozenset()
    shop: ShopConfig = field(default_factory=ShopConfig)


def load_schema() -> GraphQLSchema:
    schema = build_schema(SCHEMA_PATH.read_text(), assume_valid=True)
    for abstract in schema.type_map.values():
        # Node, ReturnLineItemType: the resolver classes name their type (``graphql_type``).
        if isinstance(abstract, GraphQLInterfaceType):
            abstract.resolve_type = resolve_node_type
    protected_data.install(schema)
    return schema


# graphql-core's validation messages, reworded and coded the way Shopify (graphql-ruby) reports them.
_VALIDATION_CODES = [
    (
        re.compile(r"Cannot query field '(\w+)' on type '(\w+)'"),
        "Field '{0}' doesn't exist on type '{1}'",
        "undefinedField",
    ),
    (
        re.compile(r"Unknown argument '(\w+)' on field '(\w+)\.(\w+)'"),
        "Field '{2}' doesn't accept argument '{0}'",
        "argumentNotAccepted",
    ),
    (
        re.compile(r"Field '(\w+)' argument '(\w+)' of type '(.+)' is required"),
        "Field '{0}' is missing required arguments: {1}",
        "missingRequiredArguments",
    ),
    (
        re.compile(r"Unknown type '(\w+)'"),
        "No such type {0}, so it can't be a fragment condition",
        "undefinedType",
    ),
    (
        re.compile(r"Variable '\$(\w+)' is never used"),
        "Variable ${0} is declared by {1} but not used",
        "variableNotUsed",
    ),
]


def shopify_validation_error(error: GraphQLError, operation_name: str | None) -> dict:
    out: dict[str, Any] = dict(error.formatted)
    for pattern, message, code in _VALIDATION_CODES:
        m = pattern.search(error.message)
        if m:
            out["message"] = message.format(*m.groups(), operation_name or "anonymous query")
            out["extensions"] = {"code": code}
            break
    return out


class App:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.schema = load_schema()
        self.store = Store(config.shop, config.state_file)
        self.credentials = oauth.AppCredentials(
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=oauth.parse_scopes(config.scopes),
            token_lifetime=config.token_lifetime,
            static_token=config.token,
        )
        self.bucket = LeakyBucket(config.bucket, config.restore_rate)
        self.faults = Faults(config.random_seed)
        # Changed at runtime by POST /_devstore/protected-data; a request reads it once (Context).
        self.protected_fields = config.protected_fields
        # Changed at runtime by POST /_devstore/api-versions.
        self.deprecated_versions = config.deprecated_versions
        # Changed at runtime by POST /_devstore/shop-state; `shop_refused` counts the calls refused since.
        self.shop_state = shop_state.ACTIVE
        self.shop_refused = 0
        self._shop_state_lock = threading.Lock()
        self.documents = PreparedDocuments(self.schema)
        self.base_url = f"http://{config.host}:{config.port}"
        if config.state_file is not None:
            self.bulk_dir = config.state_file.parent / (config.state_file.name + ".bulk")
        else:
            self.bulk_dir = Path(tempfile.mkdtemp(prefix="devstore-bulk-"))
        self.bulk_dir.mkdir(parents=True, exist_ok=True)
        self.webhooks = WebhookDispatcher(
            secret=config.webhook_secret,
            shop_domain=config.shop.domain,
            default_url=config.webhook_url,
            subscribers=self._subscribers,
            log=self._log_delivery,
            faults=self.faults,
            retry_base=config.webhook_retry_base,
            max_attempts=config.webhook_max_attempts,
        )
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="jobs", daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        from . import seed

        if not self.store.load() and self.config.seed:
            seed.seed_store(self.store, self.config.seed, self.config.random_seed)
            self.persist()
        self.store.emit = self._emit
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        self.webhooks.stop()
        self.persist()

    def _tick(self) -> None:
        while not self._stop.wait(0.05):
            with self.store.lock:
                changed = actions.complete_due_jobs(self.store, self.faults.take_job)
            if changed:
                self.persist()

    def persist(self) -> None:
        self.store.save()

    def reset(self, seed_count: int | None) -> None:
        from . import seed

        self.webhooks.clear()
        self.faults.clear()
        self.bucket.reset()
        self.protected_fields = self.config.protected_fields
        self.deprecated_versions = self.config.deprecated_versions
        self.set_shop_state(shop_state.ACTIVE)
        with self.store.lock:
            self.store.emit = None
            self.store.reset()
            if seed_count:
                seed.seed_store(self.store, seed_count, self.config.random_seed)
            self.store.emit = self._emit
        self.persist()

    # --- webhooks ----------------------------------------------------------------------------------

    def _emit(self, topic: str, body: dict, subscribers_only: bool = False) -> None:
        """Queue a webhook as the app may see it: redacted to the protected fields granted now."""
        self.webhooks.emit(topic, protected_data.redact_rest(body, self.protected_fields), subscribers_only)

    def _subscribers(self, topic: str) -> list[str]:
        with self.store.lock:
            return [s["uri"] for s in self.store.state.subscriptions.values() if s.get("topic_name") == topic]

    def _log_delivery(self, entry: dict) -> None:
        with self.store.lock:
            self.store.state.deliveries.append(entry)

    # --- GraphQL -----------------------------------------------------------------------------------

    def execute_internal(self, document) -> ExecutionResult:
        """Run a document without cost or throttling (bulk operations)."""
        with self.store.lock:
            return execute_sync(
                self.schema,
                document,
                root_value=QueryRoot(),
                context_value=Context(self, self.credentials.scopes),
            )

    def _log_calls(
        self, document, operation, variables, outcome: str, ctx: Context | None, errors: list
    ) -> None:
        if operation is None or operation.operation.value != "mutation":
            return
        at = clock.iso_ms(clock.now())
        for sel in operation.selection_set.selections:
            name = getattr(getattr(sel, "name", None), "value", None)
            if name is None:
                continue
            key = sel.alias.value if getattr(sel, "alias", None) else name
            entry_outcome = outcome
            user_errors = (ctx.user_errors.get(key) if ctx else None) or []
            if outcome == "ok":
                if any((e.get("path") or [None])[0] == key for e in errors):
                    entry_outcome = "error"
                elif user_errors:
                    entry_outcome = "user_errors"
            self.store.state.calls.append(
                {
                    "operation": name,
                    "variables": variables or {},
                    "outcome": entry_outcome,
                    "user_errors": user_errors,
                    "at": at,
                }
            )

    def graphql(self, body: Any, scopes: tuple[str, ...], deprecated: list[str]) -> tuple[int, Any]:
        """Answer one authenticated Admin API request (``scopes``: what its token was granted): returns
        (HTTP status, JSON body) or (0, None) for a timeout fault. A valid document's deprecated fields,
        arguments and enum values are appended to ``deprecated`` (for X-Shopify-API-Deprecated-Reason)."""
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        query = body["query"]
        variables = body.get("variables") or {}
        operation_name = body.get("operationName")
        prepared = self.documents.get(query)
        if isinstance(prepared, GraphQLError):
            return 200, {"errors": [prepared.formatted]}
        document, problems, usages = prepared
        operation = _pick_operation(document, operation_name)

        fault = self.faults.take_api()
        if fault in ("http_500", "http_502", "timeout"):
            with self.store.lock:
                self._log_calls(document, operation, variables, f"fault:{fault}", None, [])
            self.persist()
            if fault == "timeout":
                return 0, None
            if fault == "http_502":
                return 502, "<html><body><h1>502 Bad Gateway</h1></body></html>"
            return 500, {
                "errors": [
                    {
                        "message": "Internal error. Looks like something went wrong on our end.",
                        "extensions": {
                            "code": "INTERNAL_SERVER_ERROR",
                            "requestId": clock.iso_ms(clock.now()),
                        },
                    }
                ]
            }

        if problems:
            return 200, {"errors": [shopify_validation_error(p, operation_name) for p in problems]}
        deprecated.extend(usages)
        if operation is None:
            return 200, {
                "errors": [
                    {
                        "message": "An operation name is required",
                        "extensions": {"code": "OPERATION_NAME_REQUIRED"},
                    }
                ]
            }
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        calculator = CostCalculator(self.schema, operation, fragments, variables)
        requested = calculator.requested()
        if requested > MAX_QUERY_COST:
            return 200, {"errors": [max_cost_error(requested)]}
        if fault == "throttle" or not self.bucket.take(requested):
            if fault == "throttle":
                self.bucket.drain()
            with self.store.lock:
                self._log_calls(document, operation, variables, "throttled", None, [])
            return 200, {
                "errors": [THROTTLED_ERROR],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": None,
                        "throttleStatus": self.bucket.status(),
                    }
                },
            }

        is_mutation = operation.operation.value == "mutation"
        with self.store.lock:
            actions.complete_due_jobs(self.store, self.faults.take_job)
            context = Context(self, scopes)
            result = execute_sync(
                self.schema,
                document,
                root_value=Mutation() if is_mutation else QueryRoot(),
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
            )
            errors = [e.formatted for e in result.errors or []]
            self._log_calls(document, operation, variables, "ok", context, errors)
        actual = calculator.actual(result.data)
        self.bucket.give_back(requested - actual)
        if is_mutation:
            self.persist()
        response: dict[str, Any] = {}
        if errors:
            response["errors"] = errors
        response["data"] = result.data
        extensions: dict[str, Any] = {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
        }
        if context.search:
            extensions["search"] = context.search
        response["extensions"] = extensions
        return 200, response

    def version_headers(self, version: str, deprecated: list[str]) -> dict[str, str]:
        """X-Shopify-API-Version and, if anything is deprecated, X-Shopify-API-Deprecated-Reason."""
        return versions.response_headers(version, deprecated, self.deprecated_versions)

    # --- the shop's state -------------------------------------------------------------------------

    def set_shop_state(self, state: str) -> dict:
        with self._shop_state_lock:
            self.shop_state, self.shop_refused = state, 0
            return self.shop_state_status()

    def shop_state_status(self) -> dict:
        return {"state": self.shop_state, "refused": self.shop_refused}

    def shop_refusal(self) -> tuple[int, dict] | None:
        """How Shopify answers any Admin API call while the shop is frozen, locked or gone; None if active."""
        with self._shop_state_lock:
            refusal = shop_state.REFUSALS.get(self.shop_state)
            if refusal is not None:
                self.shop_refused += 1
            return refusal

    # --- access tokens ----------------------------------------------------------------------------

    def authenticate(self, token: str | None) -> tuple[str, ...] | None:
        """The scopes an X-Shopify-Access-Token grants, or None: the request then gets INVALID_TOKEN_BODY."""
        with self.store.lock:
            return oauth.scopes_for(self.store, self.credentials, token)

    def access_token(self, params: dict[str, str]) -> tuple[int, dict]:
        """POST /admin/oauth/access_token (either grant)."""
        with self.store.lock:
            try:
                result: tuple[int, dict] = (200, oauth.grant_token(self.store, self.credentials, params))
            except oauth.OAuthError as exc:
                result = (exc.status, exc.body())
        self.persist()  # even a refused exchange may have spent a code
        return result

    def authorize(self, params: dict[str, str]) -> tuple[int, str | dict]:
        """GET /admin/oauth/authorize: (302, redirect URL) or (400, error body)."""
        with self.store.lock:
            try:
                location = oauth.authorize(self.store, self.credentials, params)
            except oauth.OAuthError as exc:
                return exc.status, exc.body()
        self.persist()
        return 302, location

    def expire_tokens(self) -> int:
        with self.store.lock:
            count = oauth.expire_all(self.store)
        self.persist()
        return count


def _pick_operation(document, name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in ops if o.name and o.name.value == name), None)
    return ops[0] if len(ops) == 1 else None
