"""The shop's own state, as Shopify's Admin API shows it: active, or refusing every call.

``POST /_devstore/shop-state`` with ``{"state": "frozen" | "locked" | "gone" | "active"}``; from then on
every Admin API request (``/admin/api/<version>/graphql.json``) is answered as Shopify answers it for such a
shop, before the token or the document is looked at, with no ``X-Shopify-API-Version`` header. The OAuth
token endpoint, the control API and bulk result files are unaffected (what Shopify's token endpoint answers
for a frozen shop is not documented).

No recording in ../shared/shopify/recordings shows these answers. The statuses are Shopify's documented
ones (https://shopify.dev/docs/api/usage/response-codes: 402 "The requested shop is currently frozen", 423
"The requested shop is currently locked", 404 "The requested resource was not found"); the bodies, a
string ``errors`` rather than a list, are as reported from the live API: ``{"errors":"Unavailable Shop"}``
with 402 (Shopify/shopify-cli issues 1770 and 2755), ``{"errors":"This store is unavailable"}`` with 423
(community.shopify.dev, March 2026), ``{"errors":"Not Found"}`` with 404 (Shopify/cli issue 4171). That a
closed shop answers exactly 404 with that body is a guess.
"""

from __future__ import annotations

ACTIVE = "active"
REFUSALS: dict[str, tuple[int, dict[str, str]]] = {
    "frozen": (402, {"errors": "Unavailable Shop"}),  # the bill is unpaid
    "locked": (423, {"errors": "This store is unavailable"}),  # locked by Shopify (API abuse, fraud)
    "gone": (404, {"errors": "Not Found"}),  # closed or deleted
}
STATES = (ACTIVE, *REFUSALS)


def parse(value: object) -> str:
    if value not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}")
    return str(value)
