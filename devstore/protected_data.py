"""Protected customer data: what an app without "Level 2" access reads in place of a shopper's details.

Shopify grades customer data in levels (shopify.dev, "Work with protected customer data"): Level 1 is
customer data *excluding* name, address, phone and email; Level 2 *includes* them, and the app requests each
of those four fields separately. An app not approved for what it requested "might need to update your app to
handle errors or redacted data" (the same page); since 2022-10 "APIs will redact customer personal data by
default" (shopify.dev changelog, "Apps can now request access to necessary protected data"). The devstore's
app always has Level 1; ``--protected-data`` (default ``name,email,phone,address``, ``none`` for Level 1
only) and ``POST /_devstore/protected-data`` say which of the four it also has.

What the devstore does for a field the app lacks, and who said so:

* GraphQL: the field is ``null`` and the answer (HTTP 200) carries one error per refused field per object,
  with ``path`` and ``locations``; the rest of the data is there. Source: Gadget, who sync whole stores
  over GraphQL: Shopify "populates the ``errors`` field" and "also will return the data for the query, but
  with ``null`` in the place of the protected fields" (MONEI/Shopify-api-node pull request #672). Other
  apps' public test fixtures agree (errors at ``["orders", "nodes", 0, "email"]`` beside data with nulls),
  and one reports Shopify giving up with "Too many execution errors, max error limit reached. Results
  truncated" on a page of 250 orders; the devstore has no such limit.
* The message, "This app is not approved to use the email field. See
  https://shopify.dev/docs/apps/launch/protected-customer-data for more details.": as apps quote Shopify,
  with ``email``, ``firstName`` and ``address1`` as the field (some quote the first sentence only). One
  fixture has the email message at ``Customer.defaultEmailAddress`` (the whole object null); we follow it.
* ``extensions`` ``{"code": "ACCESS_DENIED", "documentation": <that page>}``: guessed. Shopify's recorded
  answer for a field behind a missing *scope* (recordings/fulfillment-order-hold-validation.json,
  ``heldByApp``) has this shape plus ``requiredAccess``; apps' fixtures for protected data show
  ``ACCESS_DENIED``, one with that ``documentation`` URL and none with ``requiredAccess``.
* Which fields: ``Order.email``/``phone``; ``Customer.email``/``defaultEmailAddress``/``firstName``/
  ``lastName``; every ``MailingAddress`` field but ``id`` and ``company``, after Shopify's address API for
  customer-account extensions: "Most properties require level 2 access. The ``company`` property requires
  level 1 access." Which of the four each address part falls under is ours: its names under ``name``, its
  phone under ``phone``, the rest (street, city, province, country, zip) under ``address``.
* Bulk operations: a query that meets a refused field ends FAILED with ``errorCode: ACCESS_DENIED``, the
  code Shopify's schema gives a bulk query that "returned access denied" (``BulkOperationErrorCode``).
* Webhooks: guessed. Shopify redacts them too, but in what form was not found (an app lacking approval
  reports ``customer.email`` "missing" from the order data it got: PipedreamHQ/pipedream issue #17578).
  The devstore keeps the REST body's keys with ``null`` values: ``email``, ``contact_email``, ``phone``,
  and the same parts of ``customer``, ``shipping_address`` and ``billing_address`` as above.
* Not modelled: ``Customer.displayName`` (non-null; what Shopify puts there without a name is not known);
  the object-level refusal of an app without Level 1 ("This app is not approved to access the Customer
  object"); and search: ``orders(query: "email:…")`` still matches on a field the app cannot read.

The control API (``GET /_devstore/orders``) shows everything: it is the test's view of the truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from graphql import GraphQLError, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, default_field_resolver

FIELDS = ("name", "email", "phone", "address")
ALL = frozenset(FIELDS)
DOCUMENTATION = "https://shopify.dev/docs/apps/launch/protected-customer-data"

# GraphQL (type, field) -> the protected field it shows.
_ADDRESS_PARTS = (
    "address1",
    "address2",
    "city",
    "province",
    "provinceCode",
    "country",
    "countryCodeV2",
    "zip",
)
GRAPHQL_FIELDS: dict[tuple[str, str], str] = {
    ("Order", "email"): "email",
    ("Order", "phone"): "phone",
    ("Customer", "email"): "email",
    ("Customer", "defaultEmailAddress"): "email",
    ("Customer", "firstName"): "name",
    ("Customer", "lastName"): "name",
    ("MailingAddress", "firstName"): "name",
    ("MailingAddress", "lastName"): "name",
    ("MailingAddress", "name"): "name",
    ("MailingAddress", "phone"): "phone",
    **{("MailingAddress", part): "address" for part in _ADDRESS_PARTS},
}
# Where the message names another field than the one selected.
_MESSAGE_FIELD = {("Customer", "defaultEmailAddress"): "email"}

# REST (webhook) keys -> the protected field they show, for the order itself, its customer and addresses.
_REST_ORDER = {"email": "email", "contact_email": "email", "phone": "phone"}
_REST_CUSTOMER = {"email": "email", "first_name": "name", "last_name": "name", "phone": "phone"}
_REST_ADDRESS_PARTS = (
    "address1",
    "address2",
    "city",
    "province",
    "province_code",
    "country",
    "country_code",
    "zip",
)
_REST_ADDRESS = {
    "first_name": "name",
    "last_name": "name",
    "name": "name",
    "phone": "phone",
    **dict.fromkeys(_REST_ADDRESS_PARTS, "address"),
}
_REST_ADDRESS_KEYS = ("shipping_address", "billing_address")


def parse(value: str | Iterable[str]) -> frozenset[str]:
    """``"name,email"`` (or a list of names) -> the granted fields; ``"none"`` or nothing grants none.

    Raises ValueError naming what is not one of FIELDS."""
    items = value.split(",") if isinstance(value, str) else list(value)
    names = {str(item).strip().lower() for item in items} - {""}
    if names == {"none"}:
        return frozenset()
    unknown = sorted(names - ALL)
    if unknown:
        raise ValueError(
            f"unknown protected field {', '.join(unknown)}: use {','.join(FIELDS)} or none (Level 1 only)"
        )
    return frozenset(names)


def listed(granted: frozenset[str]) -> list[str]:
    """The granted fields in their usual order, as the control API answers them."""
    return [name for name in FIELDS if name in granted]


def not_approved(field_name: str) -> GraphQLError:
    return GraphQLError(
        f"This app is not approved to use the {field_name} field. See {DOCUMENTATION} for more details.",
        extensions={"code": "ACCESS_DENIED", "documentation": DOCUMENTATION},
    )


def install(schema: GraphQLSchema) -> None:
    """Guard every protected field of ``schema``: the resolver runs only if the request's context
    (``context.protected_fields``) grants the field, else the field is null with Shopify's error."""
    for (type_name, field_name), protected in GRAPHQL_FIELDS.items():
        gql_type = schema.get_type(type_name)
        if not isinstance(gql_type, GraphQLObjectType) or field_name not in gql_type.fields:
            continue
        gql_field = gql_type.fields[field_name]
        gql_field.resolve = _guarded(
            gql_field.resolve or default_field_resolver,
            protected,
            _MESSAGE_FIELD.get((type_name, field_name), field_name),
        )


def _guarded(resolve: Callable[..., Any], protected: str, field_name: str) -> Callable[..., Any]:
    def guarded(root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        if protected not in info.context.protected_fields:
            raise not_approved(field_name)
        return resolve(root, info, **args)

    return guarded


def redact_rest(body: dict, granted: frozenset[str]) -> dict:
    """A REST-shaped body (a webhook's) with what ``granted`` leaves out set to null; other bodies as they
    are. Returns a copy when something changed."""
    if granted >= ALL:
        return body
    out = _nulled(body, _REST_ORDER, granted)
    if isinstance(body.get("customer"), dict):
        out["customer"] = _nulled(body["customer"], _REST_CUSTOMER, granted)
    for key in _REST_ADDRESS_KEYS:
        if isinstance(body.get(key), dict):
            out[key] = _nulled(body[key], _REST_ADDRESS, granted)
    return out


def _nulled(part: dict, keys: dict[str, str], granted: frozenset[str]) -> dict:
    return {k: None if k in keys and keys[k] not in granted else v for k, v in part.items()}
