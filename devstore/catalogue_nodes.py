"""Read side of the catalogue: Shopify's ``Product`` and ``ProductVariant`` (and the ``InventoryItem``,
``ProductOption`` and ``SelectedOption`` they hold) over catalogue.py's records."""

from __future__ import annotations

from decimal import Decimal

from . import catalogue, clock
from .ids import gid
from .money import money_scalar
from .pagination import MAX_PAGE, check_page_args, paginate, simple_connection
from .store import Store

# Product.variants(sortKey:): the keys a shopper-facing list needs; the others keep the position order.
VARIANT_SORT_KEYS = {
    "SKU": lambda v: v.get("sku") or "",
    "TITLE": lambda v: v["title"],
    "FULL_TITLE": lambda v: v["title"],
    "INVENTORY_QUANTITY": lambda v: v["inventory_quantity"],
}


class ProductVariantNode:
    graphql_type = "ProductVariant"

    def __init__(self, store: Store, product: dict, variant: dict) -> None:
        self._store, self._p, self._v = store, product, variant
        self.id = gid("ProductVariant", variant["id"])
        self.legacyResourceId = str(variant["id"])
        self.title = variant["title"]
        self.displayName = f"{product['title']} - {variant['title']}"
        self.sku = variant.get("sku")
        self.position = variant["position"]
        self.taxable = bool(variant.get("taxable", True))
        self.inventoryPolicy = variant["inventory_policy"]
        self.inventoryQuantity = variant["inventory_quantity"]
        self.sellableOnlineQuantity = catalogue.sellable_online_quantity(variant)
        self.availableForSale = catalogue.available_for_sale(product, variant)
        self.createdAt = clock.iso_z(variant["created_at"])
        self.updatedAt = clock.iso_z(variant["updated_at"])

    @property
    def price(self) -> str:
        return money_scalar(Decimal(self._v["price"]), self._store.shop.currency)

    @property
    def selectedOptions(self) -> list[dict]:
        return [
            {"name": option["name"], "value": value}
            for option, value in zip(self._p["options"], self._v["option_values"], strict=False)
        ]

    @property
    def product(self) -> ProductNode:
        return ProductNode(self._store, self._p)

    @property
    def inventoryItem(self) -> dict:
        return {
            "id": gid("InventoryItem", self._v["inventory_item_id"]),
            "legacyResourceId": str(self._v["inventory_item_id"]),
            "sku": self._v.get("sku"),
            "tracked": catalogue.is_tracked(self._v),
            "requiresShipping": bool(self._v.get("requires_shipping", True)),
        }


class ProductNode:
    graphql_type = "Product"

    def __init__(self, store: Store, product: dict) -> None:
        p = product
        self._store, self._p = store, p
        self.id = gid("Product", p["id"])
        self.legacyResourceId = str(p["id"])
        self.title = p["title"]
        self.handle = p["handle"]
        self.vendor = p["vendor"]
        self.productType = p["product_type"]
        self.status = p["status"]
        self.tags = list(p["tags"])
        self.createdAt = clock.iso_z(p["created_at"])
        self.updatedAt = clock.iso_z(p["updated_at"])
        tracked = [v for v in p["variants"] if catalogue.is_tracked(v)]
        self.tracksInventory = bool(tracked)
        self.totalInventory = sum(v["inventory_quantity"] for v in tracked)
        self.hasOnlyDefaultVariant = [v["title"] for v in p["variants"]] == [catalogue.DEFAULT_TITLE]
        self.hasOutOfStockVariants = any(v["inventory_quantity"] <= 0 for v in tracked)
        self.variantsCount = {"count": len(p["variants"]), "precision": "EXACT"}

    def options(self, info, first=None) -> list[dict]:
        options = [
            {
                "id": gid("ProductOption", o["id"]),
                "name": o["name"],
                "position": i,
                "values": list(o["values"]),
            }
            for i, o in enumerate(self._p["options"], start=1)
        ]
        return options[:first] if first is not None else options

    def variants(self, info, first=None, after=None, last=None, before=None, reverse=False, sortKey=None):
        def wrap(variant: dict) -> ProductVariantNode:
            return ProductVariantNode(self._store, self._p, variant)

        key = VARIANT_SORT_KEYS.get(sortKey or "POSITION")
        if key is None:  # POSITION, ID and the rest: variants are stored in position order, ids ascending
            return simple_connection(self._p["variants"], wrap, first, after, last, before, bool(reverse))
        check_page_args(first, last, required=False)
        return paginate(
            self._p["variants"],
            key=key,
            item_id=lambda v: v["id"],
            cursor_value=key,
            first=first if first is not None or last is not None else MAX_PAGE,
            after=after,
            last=last,
            before=before,
            reverse=bool(reverse),
            wrap=wrap,
        )


def variant_node(store: Store, variant_id: int | None) -> ProductVariantNode | None:
    product, variant = store.variant(variant_id)
    return ProductVariantNode(store, product, variant) if product and variant else None


def product_node(store: Store, product_id: int | None) -> ProductNode | None:
    product = store.product(product_id)
    return ProductNode(store, product) if product else None
