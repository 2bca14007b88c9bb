"""Read side of the GraphQL API: one small class per Shopify type.

graphql-core's default resolver reads attributes and calls methods with the field's arguments, so a
field is simply a property or method named like the schema field.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from . import clock, fulfillment_orders, gift_cards, orders, payments, returns
from .catalogue_nodes import ProductNode, ProductVariantNode, product_node, variant_node
from .ids import gid, parse_gid
from .money import gql_amount
from .order_search import choice_field, customer_fields, numeric_field, order_fields
from .pagination import check_page_args, paginate, simple_connection
from .search import compile_query

if TYPE_CHECKING:
    from .app import App


class Context:
    def __init__(self, app: App, scopes: tuple[str, ...]) -> None:
        self.app = app
        self.store = app.store
        self.scopes = scopes  # granted to the request's access token
        self.protected_fields = app.protected_fields  # protected customer fields the app may read
        self.search: list[dict] = []
        self.user_errors: dict[str, list[dict]] = {}


def ctx(info: GraphQLResolveInfo) -> Context:
    return info.context


def record_user_errors(info: GraphQLResolveInfo, errors: list[dict]) -> None:
    """Note a mutation's userErrors for the call log (GET /_devstore/calls)."""
    ctx(info).user_errors[str(info.path.key)] = errors


def money(currency: str, amount: Decimal) -> dict:
    return {"amount": gql_amount(amount), "currencyCode": currency}


def money_bag(order: dict, amount: Decimal) -> dict:
    return {
        "shopMoney": money(order["currency"], amount),
        "presentmentMoney": money(order["presentment_currency"], orders.to_presentment(order, amount)),
    }


def tax_line_dicts(order: dict, lines: list[tuple[str, Decimal, Decimal]]) -> list[dict]:
    """Shopify's ``TaxLine``s for (title, rate, amount) triples."""
    return [
        {
            "title": title,
            "rate": float(rate),
            "ratePercentage": float(rate * 100),
            "priceSet": money_bag(order, amount),
            "source": "Shopify",
            "channelLiable": False,
        }
        for title, rate, amount in lines
    ]


def invalid_id(value: str) -> GraphQLError:
    """Shopify answers an unknown id in a mutation with a top-level RESOURCE_NOT_FOUND error
    (fulfillment-order-lifecycle.json: ``Invalid id: gid://shopify/FulfillmentOrder/0``)."""
    return GraphQLError(f"Invalid id: {value}", extensions={"code": "RESOURCE_NOT_FOUND"})


# --- shop ----------------------------------------------------------------------------------------


class ShopNode:
    def __init__(self, c: Context) -> None:
        self._shop = c.store.shop

    @property
    def id(self) -> str:
        return gid("Shop", 1)

    @property
    def name(self) -> str:
        return self._shop.name

    @property
    def myshopifyDomain(self) -> str:
        return self._shop.domain

    @property
    def ianaTimezone(self) -> str:
        return self._shop.timezone

    @property
    def currencyCode(self) -> str:
        return self._shop.currency

    @property
    def email(self) -> str:
        return self._shop.email


class AppInstallationNode:
    """The installation of the app whose token made the request: what that token was granted."""

    def __init__(self, c: Context) -> None:
        self.id = gid("AppInstallation", 1)
        self.accessScopes = [{"handle": handle} for handle in c.scopes]


# --- orders --------------------------------------------------------------------------------------


class MailingAddressNode:
    def __init__(self, address: dict, owner_id: int) -> None:
        self._a = address
        self.id = gid("MailingAddress", f"{owner_id}")
        self.firstName = address.get("first_name")
        self.lastName = address.get("last_name")
        self.address1 = address.get("address1")
        self.address2 = address.get("address2")
        self.city = address.get("city")
        self.province = address.get("province")
        self.provinceCode = address.get("province_code")
        self.country = address.get("country")
        self.countryCodeV2 = address.get("country_code")
        self.zip = address.get("zip")
        self.phone = address.get("phone")
        self.company = address.get("company")
        self.name = " ".join(p for p in (self.firstName, self.lastName) if p) or None


class LineItemNode:
    graphql_type = "LineItem"

    def __init__(self, order: dict, line: dict) -> None:
        self._o, self._l = order, line
        self.id = gid("LineItem", line["id"])
        self.title = line["title"]
        self.name = line["title"] + (f" - {line['variant_title']}" if line.get("variant_title") else "")
        self.variantTitle = line.get("variant_title")
        self.sku = line.get("sku")
        self.quantity = line["quantity"]
        self.currentQuantity = line["current_quantity"]
        self.unfulfilledQuantity = orders.unfulfilled_quantity(line)
        self.fulfillableQuantity = self.unfulfilledQuantity
        self.refundableQuantity = line["current_quantity"]
        self.merchantEditable = self.unfulfilledQuantity > 0
        self.requiresShipping = bool(line.get("requires_shipping", True))
        self.isGiftCard = bool(line.get("gift_card", False))

    def variant(self, info) -> ProductVariantNode | None:
        """Null for a custom line (no variant) and for a variant since deleted, as on Shopify."""
        return variant_node(ctx(info).store, self._l.get("variant_id"))

    def product(self, info) -> ProductNode | None:
        return product_node(ctx(info).store, self._l.get("product_id"))

    @property
    def originalUnitPriceSet(self) -> dict:
        return money_bag(self._o, orders.dec(self._l["price"]))

    @property
    def discountedUnitPriceSet(self) -> dict:
        return self.originalUnitPriceSet

    @property
    def originalTotalSet(self) -> dict:
        return money_bag(self._o, orders.dec(self._l["price"]) * self._l["quantity"])

    @property
    def image(self) -> dict | None:
        url = self._l.get("image_url")
        return {"id": None, "url": url, "altText": self.title} if url else None


class TransactionNode:
    graphql_type = "OrderTransaction"

    def __init__(self, order: dict, tx: dict) -> None:
        self._o, self._t = order, tx
        self.id = gid("OrderTransaction", tx["id"])
        self.kind = tx["kind"]
        self.status = tx["status"]
        self.gateway = tx["gateway"]
        self.createdAt = clock.iso_z(tx["created_at"])

    @property
    def amountSet(self) -> dict:
        return money_bag(self._o, orders.dec(self._t["amount"]))

    @property
    def parentTransaction(self) -> TransactionNode | None:
        parent = next((t for t in self._o["transactions"] if t["id"] == self._t.get("parent_id")), None)
        return TransactionNode(self._o, parent) if parent else None


class RefundNode:
    graphql_type = "Refund"

    def __init__(self, order: dict, refund: dict) -> None:
        self._o, self._r = order, refund
        self.id = gid("Refund", refund["id"])
        self.legacyResourceId = str(refund["id"])
        self.note = refund.get("note")
        self.createdAt = clock.iso_z(refund["created_at"])

    def _transactions(self) -> list[dict]:
        wanted = set(self._r["transaction_ids"])
        return [t for t in self._o["transactions"] if t["id"] in wanted]

    @property
    def totalRefundedSet(self) -> dict:
        return money_bag(self._o, sum((orders.dec(t["amount"]) for t in self._transactions()), Decimal(0)))

    def transactions(self, info, **page) -> dict:
        return simple_connection(self._transactions(), lambda t: TransactionNode(self._o, t), **page)


class SuggestedRefundNode:
    """``Order.suggestedRefund``: payments.suggest_refund's preview, Shopify-shaped. Taxes on shipping,
    duties and discounts are not modelled (0)."""

    def __init__(self, order: dict, suggestion: payments.Suggestion) -> None:
        o, s = order, suggestion
        zero = money_bag(o, Decimal(0))
        self.amountSet = money_bag(o, s.amount)
        self.maximumRefundableSet = money_bag(o, s.maximum)
        self.subtotalSet = money_bag(o, s.subtotal)
        self.discountedSubtotalSet = self.subtotalSet
        self.totalTaxSet = money_bag(o, s.tax)
        self.totalCartDiscountAmountSet = zero
        self.totalDutiesSet = zero
        self.refundDuties: list[dict] = []
        self.shipping = {
            "amountSet": money_bag(o, s.shipping),
            "maximumRefundableSet": money_bag(o, s.shipping_maximum),
            "taxSet": zero,
        }
        self.refundLineItems = [
            {
                "lineItem": LineItemNode(o, rl.line),
                "quantity": rl.quantity,
                "restockType": rl.restock_type,
                "restocked": False,
                "priceSet": money_bag(o, orders.dec(rl.line["price"])),
                "subtotalSet": money_bag(o, rl.subtotal),
                "totalTaxSet": money_bag(o, rl.tax),
            }
            for rl in s.lines
        ]
        self.suggestedTransactions = [
            {
                "kind": "SUGGESTED_REFUND",
                "gateway": t.parent["gateway"],
                "amountSet": money_bag(o, t.amount),
                "maximumRefundableSet": money_bag(o, t.maximum),
                "parentTransaction": TransactionNode(o, t.parent),
            }
            for t in s.transactions
        ]


class FulfillmentOrderNode:
    graphql_type = "FulfillmentOrder"

    def __init__(self, c: Context, order: dict, fo: dict) -> None:
        self._c, self._o, self._fo = c, order, fo
        self.id = gid("FulfillmentOrder", fo["id"])
        self.status = fo["status"]
        self.requestStatus = fo.get("request_status", "UNSUBMITTED")
        self.createdAt = clock.iso_z(fo["created_at"])
        self.updatedAt = clock.iso_z(fo["updated_at"])
        self.fulfillAt = None
        self.fulfillBy = None
        self.orderId = gid("Order", order["id"])
        self.orderName = order["name"]

    @property
    def assignedLocation(self) -> dict:
        location = fulfillment_orders.location_of(self._fo)
        name = fulfillment_orders.location_name(self._c.store, location)
        return {"name": name, "location": {"id": gid("Location", location), "name": name}}

    @property
    def fulfillmentHolds(self) -> list[dict]:
        return [hold_dict(h) for h in self._fo["holds"]]

    @property
    def supportedActions(self) -> list[dict]:
        # The actions Shopify lists for an open / held fulfillment order (fulfillment-order-lifecycle.json).
        status = self._fo["status"]
        if status == "ON_HOLD":
            actions = ["RELEASE_HOLD", "HOLD", "MOVE"]
        elif status in ("OPEN", "IN_PROGRESS"):
            actions = ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "MOVE", "HOLD", "SPLIT"]
        else:
            actions = []
        return [{"action": a} for a in actions]

    def lineItems(self, info, **page) -> dict:
        by_id = {li["id"]: li for li in self._o["line_items"]}

        def wrap(fli: dict) -> dict:
            line = by_id[fli["line_item_id"]]
            return {
                "id": gid("FulfillmentOrderLineItem", fli["id"]),
                "totalQuantity": fli["total"],
                "remainingQuantity": fli["remaining"],
                "sku": line.get("sku"),
                "lineItem": LineItemNode(self._o, line),
            }

        return simple_connection(self._fo["line_items"], wrap, **page)

    @property
    def order(self) -> OrderNode:
        return OrderNode(self._c, self._o)


def hold_dict(hold: dict) -> dict:
    return {
        "id": gid("FulfillmentHold", hold["id"]),
        "handle": hold.get("handle"),
        "reason": hold["reason"],
        "reasonNotes": hold.get("reason_notes"),
        "displayReason": hold["reason"].replace("_", " ").capitalize(),
        "heldByApp": None,  # Shopify needs read_apps for this; the recordings show null
        "heldByRequestingApp": True,
    }


class FulfillmentLineItemNode:
    graphql_type = "FulfillmentLineItem"

    def __init__(self, order: dict, fli: dict) -> None:
        self._o, self._f = order, fli
        self.id = gid("FulfillmentLineItem", fli["id"])
        self.quantity = fli["quantity"]

    @property
    def lineItem(self) -> LineItemNode:
        line = next(li for li in self._o["line_items"] if li["id"] == self._f["line_item_id"])
        return LineItemNode(self._o, line)


class FulfillmentNode:
    """A shipment the devstore made (actions.fulfill): always delivered in full, as ``SUCCESS``."""

    graphql_type = "Fulfillment"

    def __init__(self, c: Context, order: dict, fulfillment: dict) -> None:
        self._c, self._o, self._f = c, order, fulfillment
        self.id = gid("Fulfillment", fulfillment["id"])
        self.legacyResourceId = str(fulfillment["id"])
        self.status = fulfillment["status"]
        # What the recorded fulfillments of the public return captures show for a fulfilled shipment.
        self.displayStatus = "FULFILLED"
        self.createdAt = clock.iso_z(fulfillment["created_at"])
        self.updatedAt = clock.iso_z(fulfillment["updated_at"])
        delivered = fulfillment.get("delivered_at")
        self.deliveredAt = clock.iso_z(delivered) if delivered is not None else None
        self.totalQuantity = sum(f["quantity"] for f in fulfillment["line_items"])

    def fulfillmentLineItems(self, info, **page) -> dict:
        return simple_connection(self._f["line_items"], lambda f: FulfillmentLineItemNode(self._o, f), **page)

    @property
    def order(self) -> OrderNode:
        return OrderNode(self._c, self._o)


class ReturnLineItemNode:
    graphql_type = "ReturnLineItem"

    def __init__(self, order: dict, line: dict) -> None:
        self._o, self._l = order, line
        self.id = gid("ReturnLineItem", line["id"])
        self.quantity = line["quantity"]
        self.returnReason = returns.reason_of(line)
        self.returnReasonDefinition = returns.definition_of(line)
        self.returnReasonNote = ""  # returnRequest has no note field; Shopify's webhook shows ""
        self.customerNote = line.get("customer_note")
        # Nothing is processed until the return is: returnApprove-decline-state-preconditions.json.
        self.processedQuantity = 0
        self.unprocessedQuantity = line["quantity"]

    @property
    def fulfillmentLineItem(self) -> FulfillmentLineItemNode | None:
        fli = returns.find_fulfillment_line_item(self._o, self._l["fulfillment_line_item_id"])
        return FulfillmentLineItemNode(self._o, fli) if fli else None


class ReturnNode:
    graphql_type = "Return"

    def __init__(self, c: Context, order: dict, ret: dict) -> None:
        self._c, self._o, self._r = c, order, ret
        self.id = gid("Return", ret["id"])
        self.name = ret["name"]
        self.status = ret["status"]
        self.createdAt = clock.iso_z(ret["created_at"])
        self.closedAt = clock.iso_z(ret.get("closed_at"))
        self.requestApprovedAt = clock.iso_z(ret.get("request_approved_at"))
        self.decline = ret.get("decline")
        self.totalQuantity = sum(line["quantity"] for line in ret["line_items"])

    def returnLineItems(self, info, processingStatus=None, **page) -> dict:
        return simple_connection(
            self._r["line_items"], lambda line: ReturnLineItemNode(self._o, line), **page
        )

    @property
    def order(self) -> OrderNode:
        return OrderNode(self._c, self._o)


class CustomerNode:
    graphql_type = "Customer"

    def __init__(self, c: Context, customer: dict) -> None:
        self._c, self._cu = c, customer
        self.id = gid("Customer", customer["id"])
        self.legacyResourceId = str(customer["id"])
        self.email = customer.get("email")
        self.firstName = customer.get("first_name")
        self.lastName = customer.get("last_name")
        name = " ".join(p for p in (self.firstName, self.lastName) if p)
        self.displayName = name or self.email or ""
        self.createdAt = clock.iso_z(customer["created_at"])
        self.updatedAt = clock.iso_z(customer["updated_at"])
        self.numberOfOrders = str(len(customer.get("order_ids", [])))
        self.tags = customer.get("tags", [])

    @property
    def defaultEmailAddress(self) -> dict | None:
        return {"emailAddress": self.email} if self.email else None


class OrderNode:
    graphql_type = "Order"

    def __init__(self, c: Context, order: dict) -> None:
        o = order
        self._c, self._o = c, o
        self.id = gid("Order", o["id"])
        self.legacyResourceId = str(o["id"])
        self.name = o["name"]
        self.email = o.get("email")
        self.phone = o.get("phone")
        self.poNumber = None
        self.test = bool(o.get("test"))
        self.edited = bool(o.get("edited"))
        self.note = o.get("note")
        self.tags = list(o["tags"])
        self.createdAt = clock.iso_z(o["created_at"])
        self.updatedAt = clock.iso_z(o["updated_at"])
        self.processedAt = clock.iso_z(o["processed_at"])
        self.cancelledAt = clock.iso_z(o["cancelled_at"])
        self.cancelReason = o.get("cancel_reason")
        self.closed = o["closed_at"] is not None
        self.closedAt = clock.iso_z(o["closed_at"])
        self.currencyCode = o["currency"]
        self.presentmentCurrencyCode = o["presentment_currency"]
        self.merchantEditable = o["cancelled_at"] is None

    @property
    def displayFinancialStatus(self) -> str:
        return orders.display_financial_status(self._o)

    @property
    def displayFulfillmentStatus(self) -> str:
        return orders.display_fulfillment_status(self._o)

    @property
    def fullyPaid(self) -> bool:
        return orders.outstanding(self._o) <= 0

    @property
    def unpaid(self) -> bool:
        return orders.received(self._o) == 0

    @property
    def paymentGatewayNames(self) -> list[str]:
        return sorted(
            {t["gateway"] for t in self._o["transactions"] if t["kind"] in ("SALE", "AUTHORIZATION")}
        )

    @property
    def risk(self) -> dict:
        return {"assessments": [{"riskLevel": self._o.get("risk_level", "LOW")}]}

    @property
    def totalPriceSet(self) -> dict:
        return money_bag(self._o, orders.total(self._o))

    @property
    def subtotalPriceSet(self) -> dict:
        return money_bag(self._o, orders.subtotal(self._o))

    @property
    def currentSubtotalPriceSet(self) -> dict:
        return money_bag(self._o, orders.subtotal(self._o, current=True))

    @property
    def currentTotalPriceSet(self) -> dict:
        return money_bag(self._o, orders.total(self._o, current=True))

    @property
    def totalShippingPriceSet(self) -> dict:
        return money_bag(self._o, orders.shipping(self._o))

    @property
    def totalRefundedSet(self) -> dict:
        return money_bag(self._o, orders.refunded(self._o))

    @property
    def totalReceivedSet(self) -> dict:
        return money_bag(self._o, orders.received(self._o))

    @property
    def totalOutstandingSet(self) -> dict:
        return money_bag(self._o, orders.outstanding(self._o))

    @property
    def taxesIncluded(self) -> bool:
        return bool(self._o.get("taxes_included"))

    @property
    def totalTaxSet(self) -> dict:
        return money_bag(self._o, orders.tax(self._o))

    @property
    def currentTotalTaxSet(self) -> dict:
        return money_bag(self._o, orders.tax(self._o, current=True))

    @property
    def currentTaxLines(self) -> list[dict]:
        return tax_line_dicts(self._o, orders.tax_lines(self._o, current=True))

    @property
    def subtotalLineItemsQuantity(self) -> int:
        return sum(li["quantity"] for li in self._o["line_items"])

    @property
    def shippingAddress(self) -> MailingAddressNode | None:
        address = self._o.get("shipping_address")
        return MailingAddressNode(address, self._o["id"]) if address else None

    @property
    def customer(self) -> CustomerNode | None:
        customer = self._c.store.customer(self._o.get("customer_id"))
        return CustomerNode(self._c, customer) if customer else None

    def lineItems(self, info, **page) -> dict:
        return simple_connection(self._o["line_items"], lambda li: LineItemNode(self._o, li), **page)

    def fulfillmentOrders(self, info, displayable=None, query=None, **page) -> dict:
        fos = self._o["fulfillment_orders"]
        if displayable:
            fos = [fo for fo in fos if fo["status"] != "CANCELLED"]
        return simple_connection(fos, lambda fo: FulfillmentOrderNode(self._c, self._o, fo), **page)

    def fulfillments(self, info, first=None, query=None) -> list[FulfillmentNode]:
        items = [FulfillmentNode(self._c, self._o, f) for f in self._o.get("fulfillments", [])]
        return items[:first] if first is not None else items

    def returns(self, info, query=None, **page) -> dict:
        predicate, _warnings = compile_query(query, RETURN_SEARCH_FIELDS, RETURN_SEARCH_FIELDS["id"])
        matched = [r for r in self._o.get("returns", []) if predicate(r)]
        return simple_connection(matched, lambda r: ReturnNode(self._c, self._o, r), **page)

    def refunds(self, info, first=None) -> list[RefundNode]:
        items = [RefundNode(self._o, r) for r in self._o["refunds"]]
        return items[:first] if first is not None else items

    def suggestedRefund(
        self,
        info,
        shippingAmount=None,
        refundShipping=None,
        refundLineItems=None,
        refundDuties=None,
        suggestFullRefund=False,
        refundMethodAllocation="ORIGINAL_PAYMENT_METHODS",
    ) -> SuggestedRefundNode:
        suggestion = payments.suggest_refund(
            self._o,
            full=bool(suggestFullRefund),
            line_inputs=refundLineItems or [],
            refund_shipping=bool(refundShipping),
            shipping_amount=shippingAmount,
            allocation=refundMethodAllocation or "ORIGINAL_PAYMENT_METHODS",
        )
        return SuggestedRefundNode(self._o, suggestion)

    def transactions(self, info, first=None, **_ignored) -> list[TransactionNode]:
        items = [TransactionNode(self._o, t) for t in self._o["transactions"]]
        return items[:first] if first is not None else items


# --- gift cards ----------------------------------------------------------------------------------


class GiftCardNode:
    """A gift card (gift_cards.py's record). The whole code is never readable here, as on Shopify: only
    ``giftCardCreate`` answers it, once."""

    graphql_type = "GiftCard"

    def __init__(self, c: Context, card: dict) -> None:
        self._c, self._g = c, card
        self.id = gid("GiftCard", card["id"])
        self.lastCharacters = gift_cards.last_characters(card)
        self.maskedCode = gift_cards.masked_code(card)
        self.note = card.get("note")
        self.enabled = bool(card["enabled"])
        self.expiresOn = card.get("expires_on")
        self.templateSuffix = card.get("template_suffix")
        self.createdAt = clock.iso_z(card["created_at"])
        self.updatedAt = clock.iso_z(card["updated_at"])
        self.deactivatedAt = clock.iso_z(card.get("deactivated_at"))
        self.order = None  # issued through the API, not bought at checkout

    @property
    def initialValue(self) -> dict:
        return money(self._g["currency"], Decimal(self._g["initial_value"]))

    @property
    def balance(self) -> dict:
        return money(self._g["currency"], Decimal(self._g["balance"]))

    @property
    def customer(self) -> CustomerNode | None:
        customer = self._c.store.customer(self._g.get("customer_id"))
        return CustomerNode(self._c, customer) if customer else None


# --- other nodes ---------------------------------------------------------------------------------


class JobNode:
    graphql_type = "Job"

    def __init__(self, job: dict) -> None:
        self.id = gid("Job", job["id"])
        self.done = job["done"]


class BulkOperationNode:
    graphql_type = "BulkOperation"

    def __init__(self, op: dict) -> None:
        self.id = gid("BulkOperation", op["id"])
        self.status = op["status"]
        self.type = op.get("type", "QUERY")
        self.errorCode = op.get("error_code")
        self.createdAt = clock.iso_z(op["created_at"])
        self.completedAt = clock.iso_z(op.get("completed_at"))
        # UnsignedInt64 values are strings on the wire ("objectCount": "4" in the bulk recording).
        self.objectCount = str(op.get("object_count", 0))
        self.rootObjectCount = str(op.get("root_object_count", 0))
        self.fileSize = str(op["file_size"]) if op.get("file_size") is not None else None
        self.url = op.get("url")
        self.partialDataUrl = None
        self.query = op["query"]


class WebhookSubscriptionNode:
    graphql_type = "WebhookSubscription"

    def __init__(self, sub: dict) -> None:
        self.id = gid("WebhookSubscription", sub["id"])
        self.topic = sub["topic"]
        self.uri = sub["uri"]
        self.format = sub.get("format", "JSON")
        self.includeFields = sub.get("include_fields", [])
        self.createdAt = clock.iso_z(sub["created_at"])
        self.updatedAt = clock.iso_z(sub["created_at"])


# Order.returns(query:): the filters Shopify documents for it (id, status).
def _return_status(status: str) -> Callable[[dict], bool]:
    return lambda r: r["status"] == status


RETURN_SEARCH_FIELDS = {
    "id": numeric_field(lambda r: r["id"]),
    "status": choice_field(
        {s.lower(): _return_status(s) for s in ("REQUESTED", "OPEN", "DECLINED", "CLOSED", "CANCELED")}
    ),
}


def _ms(field: str):
    return lambda o: int(o[field] * 1000)


# sortKey -> (sort key, cursor value). Dates sort and page by epoch milliseconds, as Shopify's cursors carry
# them; ID cursors carry the id as a string (both as in the recordings).
ORDER_SORT_KEYS = {
    "ID": (lambda o: o["id"], lambda o: str(o["id"])),
    "RELEVANCE": (lambda o: o["id"], lambda o: str(o["id"])),
    "CREATED_AT": (_ms("created_at"), _ms("created_at")),
    "UPDATED_AT": (_ms("updated_at"), _ms("updated_at")),
    "PROCESSED_AT": (_ms("processed_at"), _ms("processed_at")),
    "ORDER_NUMBER": (lambda o: o["number"], lambda o: o["number"]),
    "TOTAL_PRICE": (lambda o: int(orders.total(o) * 100), lambda o: int(orders.total(o) * 100)),
    "CURRENT_TOTAL_PRICE": (
        lambda o: int(orders.total(o, current=True) * 100),
        lambda o: int(orders.total(o, current=True) * 100),
    ),
    "FINANCIAL_STATUS": (lambda o: o["financial_status"], lambda o: o["financial_status"]),
    "FULFILLMENT_STATUS": (orders.fulfillment_state, orders.fulfillment_state),
    "CUSTOMER_NAME": (lambda o: o.get("email") or "", lambda o: o.get("email") or ""),
}


def node_for(c: Context, value: str):
    parsed = parse_gid(value)
    if parsed is None:
        return None
    kind, number = parsed
    store = c.store
    if kind == "Order":
        order = store.order(number)
        return OrderNode(c, order) if order else None
    if kind == "Customer":
        customer = store.customer(number)
        return CustomerNode(c, customer) if customer else None
    if kind == "BulkOperation":
        op = store.state.bulk_operations.get(number)
        return BulkOperationNode(op) if op else None
    if kind == "FulfillmentOrder":
        order, fo = store.fulfillment_order(number)
        return FulfillmentOrderNode(c, order, fo) if order and fo else None
    if kind == "WebhookSubscription":
        sub = store.state.subscriptions.get(number)
        return WebhookSubscriptionNode(sub) if sub else None
    if kind == "Product":
        return product_node(store, number)
    if kind == "ProductVariant":
        return variant_node(store, number)
    if kind == "GiftCard":
        card = store.gift_card(number)
        return GiftCardNode(c, card) if card else None
    if kind == "Return":
        order, ret = store.return_record(number)
        return ReturnNode(c, order, ret) if order and ret else None
    if kind == "Fulfillment":
        for order in store.iter_orders():
            for fulfillment in order.get("fulfillments", []):
                if fulfillment["id"] == number:
                    return FulfillmentNode(c, order, fulfillment)
        return None
    return None


class QueryRoot:
    def shop(self, info) -> ShopNode:
        return ShopNode(ctx(info))

    def currentAppInstallation(self, info) -> AppInstallationNode:
        return AppInstallationNode(ctx(info))

    def order(self, info, id: str) -> OrderNode | None:
        node = node_for(ctx(info), id)
        return node if isinstance(node, OrderNode) else None

    def _note_search(self, info, query: str | None, warnings: list[dict]) -> None:
        if warnings:
            ctx(info).search.append({"path": list(info.path.as_list()), "query": query, "warnings": warnings})

    def _orders(self, info, query: str | None) -> list[dict]:
        c = ctx(info)

        def customer_name(o: dict) -> str:
            cu = c.store.customer(o.get("customer_id"))
            return " ".join(p for p in ((cu or {}).get("first_name"), (cu or {}).get("last_name")) if p)

        fields, default = order_fields(c.store.zone, customer_name)
        predicate, warnings = compile_query(query, fields, default)
        self._note_search(info, query, warnings)
        return [o for o in c.store.iter_orders() if predicate(o)]

    def orders(
        self,
        info,
        first=None,
        after=None,
        last=None,
        before=None,
        reverse=False,
        sortKey="ID",
        query=None,
        savedSearchId=None,
    ) -> dict:
        check_page_args(first, last)
        key, cursor_value = ORDER_SORT_KEYS.get(sortKey or "ID", ORDER_SORT_KEYS["ID"])
        matched = self._orders(info, query)
        c = ctx(info)
        return paginate(
            matched,
            key=key,
            item_id=lambda o: o["id"],
            cursor_value=cursor_value,
            first=first,
            after=after,
            last=last,
            before=before,
            reverse=bool(reverse),
            wrap=lambda o: OrderNode(c, o),
            presorted=(sortKey or "ID") in ("ID", "RELEVANCE"),
        )

    def ordersCount(self, info, query=None, savedSearchId=None, limit=10000) -> dict:
        matched = len(self._orders(info, query))
        if limit is not None and matched > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": matched, "precision": "EXACT"}

    def customer(self, info, id: str) -> CustomerNode | None:
        node = node_for(ctx(info), id)
        return node if isinstance(node, CustomerNode) else None

    def product(self, info, id: str) -> ProductNode | None:
        node = node_for(ctx(info), id)
        return node if isinstance(node, ProductNode) else None

    def productVariant(self, info, id: str) -> ProductVariantNode | None:
        """Null for an unknown variant (order-edit-lifecycle-user-errors.json, unknownVariantHydrate)."""
        node = node_for(ctx(info), id)
        return node if isinstance(node, ProductVariantNode) else None

    def customers(
        self,
        info,
        first=None,
        after=None,
        last=None,
        before=None,
        reverse=False,
        sortKey="ID",
        query=None,
    ) -> dict:
        check_page_args(first, last)
        c = ctx(info)
        fields, default = customer_fields(c.store.zone)
        predicate, warnings = compile_query(query, fields, default)
        self._note_search(info, query, warnings)
        matched = [cu for cu in c.store.state.customers.values() if predicate(cu)]
        keyed = {
            "UPDATED_AT": (_ms("updated_at"), _ms("updated_at")),
            "CREATED_AT": (_ms("created_at"), _ms("created_at")),
        }
        key, cursor_value = keyed.get(sortKey, (lambda cu: cu["id"], lambda cu: str(cu["id"])))
        return paginate(
            matched,
            key=key,
            item_id=lambda cu: cu["id"],
            cursor_value=cursor_value,
            first=first,
            after=after,
            last=last,
            before=before,
            reverse=bool(reverse),
            wrap=lambda cu: CustomerNode(c, cu),
        )

    def giftCard(self, info, id: str) -> GiftCardNode | None:
        node = node_for(ctx(info), id)
        return node if isinstance(node, GiftCardNode) else None

    def _gift_cards(self, info, query: str | None) -> list[dict]:
        c = ctx(info)
        fields, default = gift_cards.search_fields(
            c.store.zone, lambda card: c.store.customer(card.get("customer_id"))
        )
        predicate, warnings = compile_query(query, fields, default)
        self._note_search(info, query, warnings)
        return [card for card in c.store.iter_gift_cards() if predicate(card)]

    def giftCards(
        self,
        info,
        first=None,
        after=None,
        last=None,
        before=None,
        reverse=False,
        sortKey="ID",
        query=None,
        savedSearchId=None,
    ) -> dict:
        check_page_args(first, last)
        key, cursor_value = gift_cards.SORT_KEYS.get(sortKey or "ID", gift_cards.SORT_KEYS["ID"])
        c = ctx(info)
        return paginate(
            self._gift_cards(info, query),
            key=key,
            item_id=lambda card: card["id"],
            cursor_value=cursor_value,
            first=first,
            after=after,
            last=last,
            before=before,
            reverse=bool(reverse),
            wrap=lambda card: GiftCardNode(c, card),
            presorted=key is gift_cards.SORT_KEYS["ID"][0],
        )

    def giftCardsCount(self, info, query=None, savedSearchId=None, limit=10000) -> dict:
        matched = len(self._gift_cards(info, query))
        if limit is not None and matched > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": matched, "precision": "EXACT"}

    def job(self, info, id: str) -> JobNode | None:
        job_id = id[len("gid://shopify/Job/") :] if id.startswith("gid://shopify/Job/") else None
        job = ctx(info).store.state.jobs.get(job_id) if job_id else None
        return JobNode(job) if job else None

    def node(self, info, id: str):
        return node_for(ctx(info), id)

    def nodes(self, info, ids: list[str]) -> list:
        return [node_for(ctx(info), i) for i in ids]

    def currentBulkOperation(self, info, type="QUERY") -> BulkOperationNode | None:
        ops = [op for op in ctx(info).store.state.bulk_operations.values() if op.get("type", "QUERY") == type]
        return BulkOperationNode(max(ops, key=lambda op: op["id"])) if ops else None

    def bulkOperation(self, info, id: str) -> BulkOperationNode | None:
        node = node_for(ctx(info), id)
        return node if isinstance(node, BulkOperationNode) else None

    def fulfillmentOrder(self, info, id: str) -> FulfillmentOrderNode | None:
        node = node_for(ctx(info), id)
        return node if isinstance(node, FulfillmentOrderNode) else None

    def return_(self, info, id: str) -> ReturnNode | None:
        """``return(id:)``: null for an unknown id (returnApprove-decline-state-preconditions.json)."""
        node = node_for(ctx(info), id)
        return node if isinstance(node, ReturnNode) else None

    def webhookSubscriptions(
        self,
        info,
        first=None,
        after=None,
        last=None,
        before=None,
        reverse=False,
        sortKey=None,
        query=None,
        callbackUrl=None,
        uri=None,
        format=None,
        topics=None,
    ) -> dict:
        check_page_args(first, last)
        subs = list(ctx(info).store.state.subscriptions.values())
        wanted_uri = uri or callbackUrl
        subs = [
            s
            for s in subs
            if (not topics or s["topic"] in topics)
            and (not wanted_uri or s["uri"] == wanted_uri)
            and (not format or s.get("format", "JSON") == format)
        ]
        return paginate(
            subs,
            key=lambda s: s["id"],
            item_id=lambda s: s["id"],
            cursor_value=lambda s: str(s["id"]),
            first=first,
            after=after,
            last=last,
            before=before,
            reverse=bool(reverse),
            wrap=WebhookSubscriptionNode,
        )


# ``return`` is a Python keyword: the schema's ``return(id:)`` resolves through this alias.
setattr(QueryRoot, "return", QueryRoot.return_)


def resolve_node_type(value: Any, info, abstract_type) -> str | None:
    return getattr(value, "graphql_type", None)
