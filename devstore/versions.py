"""API versions the way Shopify answers them: which version serves a request, and what it says is deprecated.

Sourced (shopify.dev):
- "About Shopify API versioning" (https://shopify.dev/docs/api/usage/versioning): a request to a stable
  version that is no longer supported is not refused: Shopify "falls forward" and answers it as the oldest
  supported stable version (e.g. once 2023-07 is removed, requests to 2023-07 are served 2023-10).
  Version names are YYYY-MM, released quarterly (01, 04, 07, 10); `unstable` is always accessible.
- The migration guide (https://shopify.dev/tutorials/update-your-app-to-a-new-api-version): the
  X-Shopify-API-Version response header is the version that executed the request; if it differs from the
  one asked for, Shopify fell forward.
- Changelog "The X-Shopify-API-Deprecated-Reason HTTP header will return actual GraphQL deprecations if any"
  (https://shopify.dev/changelog/graphql-return-actual-deprecation-reasons): as of 2025-04 the header lists
  the deprecations the request used, e.g. `Shop.products, Shop.productVariants`; before 2025-04 its value
  was the URL https://shopify.dev/api/usage/versioning#deprecation-practices.

Guessed (no source found):
- A version that never existed or is malformed (`2026-13`, `2026-02`, `foo`), and a quarterly version
  newer than the newest supported one (or in a gap of `--api-versions`): 404 with Shopify's generic
  `{"errors": "Not Found"}` body and no version header, before the token is looked at (routing first).
- The names of deprecated arguments, input fields and enum values follow graphql-ruby's `path`
  (`Mutation.orderCancel.refund`, `MailingAddressInput.country`, `CurrencyCode.BYR`); only fields
  (`Type.field`) appear in Shopify's example. Only what is written in the document is seen: a deprecated
  input field or enum value passed in variables is not reported.
- A request served by a deprecated version (`--deprecated-versions`) that uses no deprecated field gets the
  pre-2025-04 URL, so tests can simulate a version nearing its end; the header is then on every answer of
  that version, errors included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    is_input_object_type,
    visit,
)

DEFAULT_API_VERSIONS = ("2025-10", "2026-01", "2026-04", "2026-07", "2026-10")
UNSTABLE = "unstable"
DEPRECATION_PRACTICES_URL = "https://shopify.dev/api/usage/versioning#deprecation-practices"
VERSION_HEADER = "X-Shopify-API-Version"
DEPRECATED_REASON_HEADER = "X-Shopify-API-Deprecated-Reason"

_STABLE = re.compile(r"^\d{4}-(01|04|07|10)$")


def parse_versions(text: str | Iterable[str]) -> tuple[str, ...]:
    """Comma-separated (or listed) stable versions, sorted oldest first; ValueError names a bad one."""
    names = text.split(",") if isinstance(text, str) else list(text)
    versions = {n.strip() for n in names if n.strip()}
    bad = sorted(v for v in versions if not _STABLE.match(v))
    if bad:
        raise ValueError(f"not a Shopify API version (YYYY-01/04/07/10): {', '.join(bad)}")
    return tuple(sorted(versions))


def serving_version(requested: str, supported: tuple[str, ...]) -> str | None:
    """The version that answers a request to `requested`, or None for a version that does not exist."""
    if requested == UNSTABLE or requested in supported:
        return requested
    if supported and _STABLE.match(requested) and requested < supported[0]:
        return supported[0]  # no longer supported: fall forward to the oldest supported stable version
    return None


def deprecated_usages(schema: GraphQLSchema, document: DocumentNode) -> list[str]:
    """The deprecated fields, arguments, input fields and enum values the document uses, first seen first."""
    info = TypeInfo(schema)
    found: dict[str, None] = {}  # an ordered set

    class Usages(Visitor):
        def enter_field(self, node: Any, *_: Any) -> None:
            field = info.get_field_def()
            if field is not None and field.deprecation_reason is not None:
                found[f"{info.get_parent_type()}.{node.name.value}"] = None

        def enter_argument(self, node: Any, *_: Any) -> None:
            arg = info.get_argument()
            if arg is None or arg.deprecation_reason is None:
                return
            directive = info.get_directive()
            if directive is not None:
                found[f"@{directive.name}.{node.name.value}"] = None
            else:
                field = info.get_field_def()
                field_name = field.ast_node.name.value if field and field.ast_node else "?"
                found[f"{info.get_parent_type()}.{field_name}.{node.name.value}"] = None

        def enter_object_field(self, node: Any, *_: Any) -> None:
            input_type = get_named_type(info.get_parent_input_type())
            if is_input_object_type(input_type):
                input_field = input_type.fields.get(node.name.value)
                if input_field is not None and input_field.deprecation_reason is not None:
                    found[f"{input_type}.{node.name.value}"] = None

        def enter_enum_value(self, node: Any, *_: Any) -> None:
            value = info.get_enum_value()
            if value is not None and value.deprecation_reason is not None:
                found[f"{get_named_type(info.get_input_type())}.{node.value}"] = None

    visit(document, TypeInfoVisitor(info, Usages()))
    return list(found)


def response_headers(version: str, usages: list[str], deprecated_versions: frozenset[str]) -> dict[str, str]:
    """The version headers of an answer served by `version` to a request that used `usages`."""
    headers = {VERSION_HEADER: version}
    if usages:
        headers[DEPRECATED_REASON_HEADER] = ", ".join(usages)
    elif version in deprecated_versions:
        headers[DEPRECATED_REASON_HEADER] = DEPRECATION_PRACTICES_URL
    return headers
