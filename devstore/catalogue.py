"""The shop's products, their variants and the stock of each: what order lines point at, and what an order
edit swaps to or adds.

A product record (plain JSON, kept in the state file) holds its options and its variants::

    {"id", "title", "handle", "vendor", "product_type", "status", "tags", "created_at", "updated_at",
     "options": [{"id", "name", "values"}],
     "variants": [{"id", "inventory_item_id", "title", "option_values": ["Navy", "M"], "sku", "price",
                   "position", "taxable", "requires_shipping", "tracked", "inventory_policy",
                   "inventory_quantity", "created_at", "updated_at"}]}

Prices are in the shop's currency, as Shopify's ``ProductVariant.price`` is. Stock is one number per variant
(the shop has one location). A product without options has one variant titled "Default Title" under an
option named "Title", as on Shopify (the order-edit recordings' snowboards are such variants).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from . import clock
from .ids import gid, parse_gid
from .money import price_in, quantize, rest_amount, to_decimal
from .store import Store

DEFAULT_TITLE = "Default Title"
INVENTORY_POLICIES = ("DENY", "CONTINUE")
MAX_OPTIONS = 3  # Shopify's limit of options per product


class CatalogueError(ValueError):
    """A product or stock change the store refuses (the control API answers 422 with the message)."""


# --- reading -------------------------------------------------------------------------------------


def variant_number(value: object) -> int | None:
    """A variant id as the control API and order lines take it: a number, its digits, or its gid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        parsed = parse_gid(value, "ProductVariant")
        return parsed[1] if parsed else None
    return None


def is_tracked(variant: dict) -> bool:
    return bool(variant.get("tracked", True))


def available_for_sale(product: dict, variant: dict) -> bool:
    """Shopify's ``availableForSale``: an active product's variant that is in stock, not tracked, or may be
    sold when out of stock (inventory policy CONTINUE)."""
    if product.get("status", "ACTIVE") != "ACTIVE":
        return False
    if not is_tracked(variant) or variant.get("inventory_policy") == "CONTINUE":
        return True
    return variant["inventory_quantity"] > 0


def sellable_online_quantity(variant: dict) -> int:
    """What can still be sold online: the stock on hand, never below zero (0 for an untracked variant,
    whose stock Shopify does not count)."""
    return max(variant["inventory_quantity"], 0) if is_tracked(variant) else 0


def variant_display_title(variant: dict) -> str | None:
    """The variant's title as an order line shows it (``variantTitle``): none for a default variant."""
    return None if variant["title"] == DEFAULT_TITLE else variant["title"]


def line_fields(store: Store, product: dict, variant: dict, currency: str) -> dict[str, Any]:
    """The fields of an order line selling ``variant`` in an order in ``currency``: the product's title,
    the variant's, its SKU and its price converted from the shop's currency."""
    price = price_in(Decimal(variant["price"]), store.shop.currency, currency)
    return {
        "title": product["title"],
        "variant_title": variant_display_title(variant),
        "sku": variant.get("sku"),
        "price": price,
        "variant_id": variant["id"],
        "product_id": product["id"],
        "taxable": bool(variant.get("taxable", True)),
        "requires_shipping": bool(variant.get("requires_shipping", True)),
    }


# --- changes -------------------------------------------------------------------------------------


def _handle(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"


def _price(value: object, currency: str) -> str:
    amount = to_decimal(value)
    if amount is None or amount < 0:
        raise CatalogueError("each variant needs a price of 0 or more")
    return str(quantize(amount, currency))


def _policy(value: object) -> str:
    policy = str(value or "deny").upper()
    if policy not in INVENTORY_POLICIES:
        raise CatalogueError("inventory_policy must be deny or continue")
    return policy


def _quantity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogueError("inventory_quantity must be a whole number")
    return value


def create_product(store: Store, data: dict, *, at: float | None = None) -> dict:
    """Add a product from REST-shaped fields (the control API's and the seeder's)::

        {"title", "vendor", "product_type", "tags", "options": ["Color", "Size"],
         "variants": [{"options": ["Navy", "M"], "sku", "price", "inventory_quantity",
                       "inventory_management": "shopify" | null, "inventory_policy": "deny" | "continue",
                       "taxable", "requires_shipping"}]}

    Without ``options`` the product has a single "Default Title" variant.
    """
    now = at if at is not None else clock.now()
    title = str(data.get("title") or "").strip()
    if not title:
        raise CatalogueError("title is required")
    names = [str(n) for n in data.get("options") or []]
    if len(names) > MAX_OPTIONS or len(set(names)) != len(names):
        raise CatalogueError(f"options must be up to {MAX_OPTIONS} distinct names")
    raw_variants = data.get("variants") or [{}]
    if not isinstance(raw_variants, list) or not all(isinstance(v, dict) for v in raw_variants):
        raise CatalogueError("variants must be a list of objects")
    if not names and len(raw_variants) > 1:
        raise CatalogueError("a product with several variants needs options")
    currency = store.shop.currency
    variants: list[dict] = []
    for position, raw in enumerate(raw_variants, start=1):
        values = [str(v) for v in raw.get("options") or []] if names else [DEFAULT_TITLE]
        if len(values) != max(len(names), 1):
            raise CatalogueError(f"variant {position} needs one value for each of {', '.join(names)}")
        management = raw.get("inventory_management", "shopify")
        variants.append(
            {
                "id": store.new_id("ProductVariant"),
                "inventory_item_id": store.new_id("InventoryItem"),
                "title": " / ".join(values),
                "option_values": values,
                "sku": raw.get("sku") or None,
                "price": _price(raw.get("price", "0"), currency),
                "position": position,
                "taxable": bool(raw.get("taxable", True)),
                "requires_shipping": bool(raw.get("requires_shipping", True)),
                "tracked": management is not None,
                "inventory_policy": _policy(raw.get("inventory_policy")),
                "inventory_quantity": _quantity(raw.get("inventory_quantity", 0)),
                "created_at": now,
                "updated_at": now,
            }
        )
    if len({tuple(v["option_values"]) for v in variants}) != len(variants):
        raise CatalogueError("two variants have the same option values")
    options = [
        {
            "id": store.new_id("ProductOption"),
            "name": name,
            "values": list(dict.fromkeys(v["option_values"][i] for v in variants)),
        }
        for i, name in enumerate(names or ["Title"])
    ]
    product = {
        "id": store.new_id("Product"),
        "title": title,
        "handle": data.get("handle") or _handle(title),
        "vendor": data.get("vendor") or store.shop.name,
        "product_type": data.get("product_type") or "",
        "status": str(data.get("status") or "active").upper(),
        "tags": sorted({str(t).strip() for t in data.get("tags") or [] if str(t).strip()}),
        "options": options,
        "variants": variants,
        "created_at": now,
        "updated_at": now,
    }
    store.add_product(product)
    return product


def set_inventory(product: dict, variant: dict, quantity: object, *, at: float | None = None) -> None:
    """Set a variant's stock on hand (what a stock count or a delivery does)."""
    now = at if at is not None else clock.now()
    variant["inventory_quantity"] = _quantity(quantity)
    variant["updated_at"] = product["updated_at"] = now


def adjust_inventory(store: Store, variant_id: int | None, delta: int, *, at: float) -> bool:
    """Move a tracked variant's stock by ``delta`` (a sale takes, a restock gives back); untracked and
    unknown variants are left alone. Stock may go below zero, as Shopify's does when it oversells."""
    product, variant = store.variant(variant_id)
    if product is None or variant is None or not is_tracked(variant) or delta == 0:
        return False
    variant["inventory_quantity"] += delta
    variant["updated_at"] = product["updated_at"] = at
    return True


# --- REST shapes (the control API) ---------------------------------------------------------------


def rest_variant(store: Store, product: dict, variant: dict) -> dict:
    values = variant["option_values"] + [None] * (MAX_OPTIONS - len(variant["option_values"]))
    return {
        "id": variant["id"],
        "admin_graphql_api_id": gid("ProductVariant", variant["id"]),
        "product_id": product["id"],
        "title": variant["title"],
        "price": rest_amount(Decimal(variant["price"]), store.shop.currency),
        "sku": variant.get("sku"),
        "position": variant["position"],
        "option1": values[0],
        "option2": values[1],
        "option3": values[2],
        "taxable": variant.get("taxable", True),
        "requires_shipping": variant.get("requires_shipping", True),
        "inventory_management": "shopify" if is_tracked(variant) else None,
        "inventory_policy": variant["inventory_policy"].lower(),
        "inventory_quantity": variant["inventory_quantity"],
        "inventory_item_id": variant["inventory_item_id"],
        "available_for_sale": available_for_sale(product, variant),
        "created_at": clock.iso_local(variant["created_at"], store.zone),
        "updated_at": clock.iso_local(variant["updated_at"], store.zone),
    }


def rest_product(store: Store, product: dict) -> dict:
    return {
        "id": product["id"],
        "admin_graphql_api_id": gid("Product", product["id"]),
        "title": product["title"],
        "handle": product["handle"],
        "vendor": product["vendor"],
        "product_type": product["product_type"],
        "status": product["status"].lower(),
        "tags": ", ".join(product["tags"]),
        "options": [
            {
                "id": o["id"],
                "product_id": product["id"],
                "name": o["name"],
                "position": i,
                "values": o["values"],
            }
            for i, o in enumerate(product["options"], start=1)
        ],
        "variants": [rest_variant(store, product, v) for v in product["variants"]],
        "created_at": clock.iso_local(product["created_at"], store.zone),
        "updated_at": clock.iso_local(product["updated_at"], store.zone),
    }
