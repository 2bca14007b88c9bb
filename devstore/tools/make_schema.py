"""Regenerate devstore/schema.graphql as a strict subset of Shopify's Admin schema.

Run by hand when the devstore needs another field:
    python -m devstore.tools.make_schema ../shared/shopify/admin-2026-07.graphql > devstore/schema.graphql

Only the types and fields listed in WANTED are emitted (field and argument types copied verbatim).
Input objects and enums reachable from an emitted argument are emitted whole, because a client may send
any of their fields and validation must then accept it. Shopify's @deprecated reasons (on fields, arguments,
input fields and enum values) are kept: the devstore names what a request uses of them in
X-Shopify-API-Deprecated-Reason (versions.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
)
from graphql.language import StringValueNode, print_ast

MONEY = ["shopMoney", "presentmentMoney"]
CONNECTION = ["edges", "nodes", "pageInfo"]
EDGE = ["cursor", "node"]

WANTED: dict[str, list[str]] = {
    "QueryRoot": [
        "shop",
        "order",
        "orders",
        "ordersCount",
        "customer",
        "customers",
        "job",
        "node",
        "nodes",
        "currentBulkOperation",
        "bulkOperation",
        "webhookSubscriptions",
        "fulfillmentOrder",
        "currentAppInstallation",
        "product",
        "productVariant",
        "giftCard",
        "giftCards",
        "giftCardsCount",
        "return",
    ],
    "Mutation": [
        "orderCancel",
        "orderUpdate",
        "refundCreate",
        "orderEditBegin",
        "orderEditSetQuantity",
        "orderEditAddVariant",
        "orderEditCommit",
        "fulfillmentOrderHold",
        "fulfillmentOrderReleaseHold",
        "webhookSubscriptionCreate",
        "bulkOperationRunQuery",
        "giftCardCreate",
        "orderClose",
        "orderOpen",
        "returnRequest",
        "returnApproveRequest",
        "returnDeclineRequest",
    ],
    "Node": ["id"],
    "Shop": ["id", "name", "myshopifyDomain", "ianaTimezone", "currencyCode", "email"],
    "AppInstallation": ["id", "accessScopes"],
    "AccessScope": ["handle"],
    "Order": [
        "id",
        "legacyResourceId",
        "name",
        "email",
        "phone",
        "createdAt",
        "updatedAt",
        "processedAt",
        "cancelledAt",
        "cancelReason",
        "closed",
        "closedAt",
        "displayFinancialStatus",
        "displayFulfillmentStatus",
        "tags",
        "note",
        "risk",
        "currencyCode",
        "presentmentCurrencyCode",
        "totalPriceSet",
        "subtotalPriceSet",
        "totalShippingPriceSet",
        "totalRefundedSet",
        "currentTotalPriceSet",
        "currentSubtotalPriceSet",
        "totalOutstandingSet",
        "totalReceivedSet",
        "shippingAddress",
        "customer",
        "lineItems",
        "fulfillmentOrders",
        "refunds",
        "transactions",
        "merchantEditable",
        "paymentGatewayNames",
        "poNumber",
        "test",
        "edited",
        "fullyPaid",
        "unpaid",
        "taxesIncluded",
        "totalTaxSet",
        "currentTotalTaxSet",
        "currentTaxLines",
        "subtotalLineItemsQuantity",
        "fulfillments",
        "returns",
        "suggestedRefund",
    ],
    "OrderConnection": CONNECTION,
    "OrderEdge": EDGE,
    "PageInfo": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
    "Count": ["count", "precision"],
    "MoneyBag": MONEY,
    "MoneyV2": ["amount", "currencyCode"],
    "MailingAddress": [
        "id",
        "firstName",
        "lastName",
        "name",
        "address1",
        "address2",
        "city",
        "province",
        "provinceCode",
        "country",
        "countryCodeV2",
        "zip",
        "phone",
        "company",
    ],
    "OrderRiskSummary": ["assessments"],
    "OrderRiskAssessment": ["riskLevel"],
    "Customer": [
        "id",
        "legacyResourceId",
        "email",
        "defaultEmailAddress",
        "firstName",
        "lastName",
        "displayName",
        "createdAt",
        "updatedAt",
        "numberOfOrders",
        "tags",
    ],
    "CustomerEmailAddress": ["emailAddress"],
    "CustomerConnection": CONNECTION,
    "CustomerEdge": EDGE,
    "LineItem": [
        "id",
        "title",
        "name",
        "variantTitle",
        "sku",
        "quantity",
        "currentQuantity",
        "unfulfilledQuantity",
        "fulfillableQuantity",
        "refundableQuantity",
        "originalUnitPriceSet",
        "discountedUnitPriceSet",
        "originalTotalSet",
        "image",
        "merchantEditable",
        "variant",
        "product",
        "requiresShipping",
        "isGiftCard",
    ],
    "LineItemConnection": CONNECTION,
    "LineItemEdge": EDGE,
    "ProductVariant": [
        "id",
        "legacyResourceId",
        "title",
        "displayName",
        "sku",
        "price",
        "position",
        "availableForSale",
        "inventoryQuantity",
        "sellableOnlineQuantity",
        "inventoryPolicy",
        "taxable",
        "selectedOptions",
        "product",
        "inventoryItem",
        "createdAt",
        "updatedAt",
    ],
    "ProductVariantConnection": CONNECTION,
    "ProductVariantEdge": EDGE,
    "SelectedOption": ["name", "value"],
    "InventoryItem": ["id", "legacyResourceId", "sku", "tracked", "requiresShipping"],
    "Product": [
        "id",
        "legacyResourceId",
        "title",
        "handle",
        "vendor",
        "productType",
        "status",
        "tags",
        "createdAt",
        "updatedAt",
        "options",
        "variants",
        "variantsCount",
        "totalInventory",
        "tracksInventory",
        "hasOnlyDefaultVariant",
        "hasOutOfStockVariants",
    ],
    "ProductOption": ["id", "name", "position", "values"],
    "TaxLine": ["title", "rate", "ratePercentage", "priceSet", "source", "channelLiable"],
    "Image": ["id", "url", "altText"],
    "FulfillmentOrder": [
        "id",
        "status",
        "requestStatus",
        "createdAt",
        "updatedAt",
        "fulfillAt",
        "fulfillBy",
        "assignedLocation",
        "fulfillmentHolds",
        "lineItems",
        "order",
        "orderId",
        "orderName",
        "supportedActions",
    ],
    "FulfillmentOrderConnection": CONNECTION,
    "FulfillmentOrderEdge": EDGE,
    "FulfillmentOrderLineItem": ["id", "totalQuantity", "remainingQuantity", "lineItem", "sku"],
    "FulfillmentOrderLineItemConnection": CONNECTION,
    "FulfillmentOrderLineItemEdge": EDGE,
    "FulfillmentOrderSupportedAction": ["action"],
    "FulfillmentHold": [
        "id",
        "handle",
        "reason",
        "reasonNotes",
        "displayReason",
        "heldByApp",
        "heldByRequestingApp",
    ],
    "App": ["id", "title"],
    "FulfillmentOrderAssignedLocation": ["name", "location"],
    "Location": ["id", "name"],
    "Refund": ["id", "legacyResourceId", "note", "createdAt", "totalRefundedSet", "transactions"],
    "OrderTransaction": ["id", "kind", "status", "gateway", "amountSet", "createdAt", "parentTransaction"],
    "SuggestedRefund": [
        "amountSet",
        "maximumRefundableSet",
        "subtotalSet",
        "discountedSubtotalSet",
        "totalTaxSet",
        "totalCartDiscountAmountSet",
        "totalDutiesSet",
        "refundDuties",
        "shipping",
        "refundLineItems",
        "suggestedTransactions",
    ],
    "ShippingRefund": ["amountSet", "maximumRefundableSet", "taxSet"],
    "RefundLineItem": [
        "lineItem",
        "quantity",
        "restockType",
        "restocked",
        "priceSet",
        "subtotalSet",
        "totalTaxSet",
    ],
    "RefundDuty": ["amountSet"],
    "SuggestedOrderTransaction": [
        "kind",
        "gateway",
        "amountSet",
        "maximumRefundableSet",
        "parentTransaction",
    ],
    "OrderTransactionConnection": CONNECTION,
    "OrderTransactionEdge": EDGE,
    "Job": ["id", "done"],
    "BulkOperation": [
        "id",
        "status",
        "type",
        "errorCode",
        "createdAt",
        "completedAt",
        "objectCount",
        "rootObjectCount",
        "fileSize",
        "url",
        "partialDataUrl",
        "query",
    ],
    "WebhookSubscription": ["id", "topic", "uri", "format", "createdAt", "updatedAt", "includeFields"],
    "WebhookSubscriptionConnection": CONNECTION,
    "WebhookSubscriptionEdge": EDGE,
    "UserError": ["field", "message"],
    "OrderCancelPayload": ["job", "orderCancelUserErrors", "userErrors"],
    "OrderCancelUserError": ["field", "message", "code"],
    "OrderUpdatePayload": ["order", "userErrors"],
    "RefundCreatePayload": ["refund", "order", "userErrors"],
    "OrderEditBeginPayload": ["calculatedOrder", "orderEditSession", "userErrors"],
    "OrderEditSetQuantityPayload": [
        "calculatedOrder",
        "calculatedLineItem",
        "orderEditSession",
        "userErrors",
    ],
    "OrderEditAddVariantPayload": [
        "calculatedLineItem",
        "calculatedOrder",
        "orderEditSession",
        "userErrors",
    ],
    "OrderEditCommitPayload": ["order", "successMessages", "userErrors"],
    "OrderEditSession": ["id"],
    "CalculatedOrder": [
        "id",
        "originalOrder",
        "lineItems",
        "addedLineItems",
        "subtotalLineItemsQuantity",
        "subtotalPriceSet",
        "cartDiscountAmountSet",
        "shippingLines",
        "taxLines",
        "totalPriceSet",
        "totalOutstandingSet",
    ],
    "CalculatedLineItem": [
        "id",
        "title",
        "quantity",
        "sku",
        "variant",
        "variantTitle",
        "image",
        "originalUnitPriceSet",
        "discountedUnitPriceSet",
        "editableQuantity",
        "editableQuantityBeforeChanges",
        "editableSubtotalSet",
        "uneditableSubtotalSet",
        "restockable",
        "restocking",
        "hasStagedLineItemDiscount",
    ],
    "CalculatedShippingLine": ["id", "title", "price", "stagedStatus"],
    "CalculatedLineItemConnection": CONNECTION,
    "CalculatedLineItemEdge": EDGE,
    "FulfillmentOrderHoldPayload": [
        "fulfillmentHold",
        "fulfillmentOrder",
        "remainingFulfillmentOrder",
        "userErrors",
    ],
    "FulfillmentOrderHoldUserError": ["field", "message", "code"],
    "FulfillmentOrderReleaseHoldPayload": ["fulfillmentOrder", "userErrors"],
    "FulfillmentOrderReleaseHoldUserError": ["field", "message", "code"],
    "WebhookSubscriptionCreatePayload": ["webhookSubscription", "userErrors"],
    "BulkOperationRunQueryPayload": ["bulkOperation", "userErrors"],
    "BulkOperationUserError": ["field", "message", "code"],
    "GiftCard": [
        "id",
        "lastCharacters",
        "maskedCode",
        "initialValue",
        "balance",
        "note",
        "enabled",
        "expiresOn",
        "templateSuffix",
        "createdAt",
        "updatedAt",
        "deactivatedAt",
        "customer",
        "order",
    ],
    "GiftCardConnection": CONNECTION,
    "GiftCardEdge": EDGE,
    "GiftCardCreatePayload": ["giftCard", "giftCardCode", "userErrors"],
    "GiftCardUserError": ["field", "message", "code"],
    "OrderClosePayload": ["order", "userErrors"],
    "OrderOpenPayload": ["order", "userErrors"],
    "Fulfillment": [
        "id",
        "legacyResourceId",
        "status",
        "displayStatus",
        "createdAt",
        "updatedAt",
        "totalQuantity",
        "fulfillmentLineItems",
        "order",
    ],
    "FulfillmentLineItem": ["id", "quantity", "lineItem"],
    "FulfillmentLineItemConnection": CONNECTION,
    "FulfillmentLineItemEdge": EDGE,
    "Return": [
        "id",
        "name",
        "status",
        "createdAt",
        "closedAt",
        "requestApprovedAt",
        "decline",
        "totalQuantity",
        "order",
        "returnLineItems",
    ],
    "ReturnConnection": CONNECTION,
    "ReturnEdge": EDGE,
    "ReturnDecline": ["reason", "note"],
    "ReturnLineItemType": [
        "id",
        "quantity",
        "returnReason",
        "returnReasonDefinition",
        "returnReasonNote",
        "customerNote",
        "processedQuantity",
        "unprocessedQuantity",
    ],
    "ReturnLineItem": [
        "id",
        "quantity",
        "returnReason",
        "returnReasonDefinition",
        "returnReasonNote",
        "customerNote",
        "processedQuantity",
        "unprocessedQuantity",
        "fulfillmentLineItem",
    ],
    "ReturnLineItemTypeConnection": CONNECTION,
    "ReturnLineItemTypeEdge": EDGE,
    "ReturnReasonDefinition": ["id", "handle", "name", "deleted"],
    "ReturnRequestPayload": ["return", "userErrors"],
    "ReturnApproveRequestPayload": ["return", "userErrors"],
    "ReturnDeclineRequestPayload": ["return", "userErrors"],
    "ReturnUserError": ["field", "message", "code"],
}

# Interfaces kept on object types (others are dropped: fewer fields/interfaces is still a subset).
# ReturnLineItemType is kept so that `... on ReturnLineItem` is valid where return line items are listed.
KEPT_INTERFACES = {"Node", "ReturnLineItemType"}
BUILTIN = {"String", "Int", "Float", "Boolean", "ID"}


def _named(t):
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


def _deprecated(reason: str | None) -> str:
    if reason is None:
        return ""
    return f" @deprecated(reason: {print_ast(StringValueNode(value=reason))})"


def _args_sdl(field) -> str:
    if not field.args:
        return ""
    parts = []
    for name, arg in field.args.items():
        s = f"{name}: {arg.type}"
        if arg.ast_node is not None and arg.ast_node.default_value is not None:
            s += f" = {print_ast(arg.ast_node.default_value)}"
        parts.append(s + _deprecated(arg.deprecation_reason))
    return "(" + ", ".join(parts) + ")"


def generate(real_sdl: str) -> str:
    real = build_schema(real_sdl, assume_valid=True)
    needed_inputs: list[str] = []
    needed_enums: set[str] = set()
    needed_scalars: set[str] = set()
    out: list[str] = []

    def note(t) -> None:
        n = _named(t)
        if isinstance(n, GraphQLEnumType):
            needed_enums.add(n.name)
        elif isinstance(n, GraphQLScalarType) and n.name not in BUILTIN:
            needed_scalars.add(n.name)
        elif isinstance(n, GraphQLInputObjectType) and n.name not in needed_inputs:
            needed_inputs.append(n.name)
            for f in n.fields.values():
                note(f.type)

    for tname, fields in WANTED.items():
        t = real.type_map[tname]
        if not isinstance(t, (GraphQLObjectType, GraphQLInterfaceType)):
            raise SystemExit(f"{tname} in WANTED is a {type(t).__name__}, not an object or interface type")
        lines = []
        for fname in fields:
            f = t.fields[fname]
            note(f.type)
            for a in f.args.values():
                note(a.type)
            target = _named(f.type)
            if isinstance(target, (GraphQLObjectType, GraphQLInterfaceType)) and target.name not in WANTED:
                raise SystemExit(f"{tname}.{fname} returns {target.name}, which is not in WANTED")
            lines.append(f"  {fname}{_args_sdl(f)}: {f.type}{_deprecated(f.deprecation_reason)}")
        if isinstance(t, GraphQLInterfaceType):
            head = f"interface {tname}"
        else:
            kept = [i.name for i in t.interfaces if i.name in KEPT_INTERFACES]
            head = f"type {tname}" + (" implements " + " & ".join(kept) if kept else "")
        out.append(head + " {\n" + "\n".join(lines) + "\n}")

    for name in needed_inputs:
        input_type = real.type_map[name]
        assert isinstance(input_type, GraphQLInputObjectType)  # only input objects are noted here
        lines = []
        for fname, input_field in input_type.fields.items():
            s = f"  {fname}: {input_field.type}"
            if input_field.ast_node is not None and input_field.ast_node.default_value is not None:
                s += f" = {print_ast(input_field.ast_node.default_value)}"
            lines.append(s + _deprecated(input_field.deprecation_reason))
        out.append(f"input {name} {{\n" + "\n".join(lines) + "\n}")
    for name in sorted(needed_enums):
        enum = real.type_map[name]
        assert isinstance(enum, GraphQLEnumType)  # only enums are noted here
        values = (f"  {v}{_deprecated(d.deprecation_reason)}" for v, d in enum.values.items())
        out.append(f"enum {name} {{\n" + "\n".join(values) + "\n}")
    for name in sorted(needed_scalars):
        out.append(f"scalar {name}")
    header = (
        "# A strict subset of Shopify's Admin GraphQL schema (API 2026-07), generated by\n"
        "# devstore/tools/make_schema.py: same names and types, fewer fields.\n"
        "schema {\n  query: QueryRoot\n  mutation: Mutation\n}\n\n"
        "directive @idempotent(key: String!) on FIELD\n"
    )
    return header + "\n" + "\n\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate(Path(sys.argv[1]).read_text()))
