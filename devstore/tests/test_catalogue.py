"""The catalogue: seeded products with sizes and stock, their GraphQL reads, and changing stock."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from devstore import seed
from devstore.store import ShopConfig, Store
from devstore.testing import Devstore, DevstoreError, start_devstore

from .conftest import TOKEN

VARIANT = """query($id: ID!) {
  productVariant(id: $id) {
    id legacyResourceId title displayName sku price position availableForSale inventoryQuantity
    sellableOnlineQuantity inventoryPolicy taxable selectedOptions { name value }
    inventoryItem { tracked requiresShipping } product { id title }
  }
  node(id: $id) { id ... on ProductVariant { title } }
}"""
PRODUCT_VARIANTS = """query($id: ID!, $first: Int, $after: String) {
  product(id: $id) {
    id title hasOnlyDefaultVariant hasOutOfStockVariants totalInventory tracksInventory
    variantsCount { count } options { name values }
    variants(first: $first, after: $after) {
      nodes { id title price availableForSale inventoryQuantity selectedOptions { name value } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
ORDER_LINES = """query($id: ID!) { order(id: $id) { lineItems(first: 10) { nodes {
  title variantTitle sku
  variant { id title price selectedOptions { name value } product { id title } }
  product { id title } } } } }"""


def seeded_in_process(count: int, random_seed: int) -> dict:
    with time_machine.travel(1_782_000_000, tick=False):
        store = Store(ShopConfig())
        seed.seed_store(store, count, random_seed)
        return store.to_json()


def test_the_same_random_seed_gives_the_same_catalogue_and_orders() -> None:
    first = seeded_in_process(120, 42)
    assert first == seeded_in_process(120, 42)
    other = seeded_in_process(120, 7)
    assert other["products"] == first["products"]  # the catalogue is fixed; the orders are drawn
    assert other["orders"] != first["orders"]


def test_every_sold_variant_is_in_the_catalogue_at_its_price() -> None:
    state = seeded_in_process(200, 42)
    variants = {v["id"]: (p, v) for p in state["products"] for v in p["variants"]}
    lines = [li for o in state["orders"] for li in o["line_items"]]
    assert lines and all(li["variant_id"] in variants for li in lines)
    for li in lines:
        product, variant = variants[li["variant_id"]]
        assert li["product_id"] == product["id"] and li["title"] == product["title"]
        assert li["sku"] == variant["sku"]
        assert li["variant_title"] == (None if variant["title"] == "Default Title" else variant["title"])
    usd = [(li, o) for o in state["orders"] if o["currency"] == "USD" for li in o["line_items"]]
    assert usd and all(li["price"] == variants[li["variant_id"]][1]["price"] for li, _ in usd)


def test_the_seeded_catalogue_has_sizes_to_swap_between(seeded: Devstore) -> None:
    products = {p["title"]: p for p in seeded.products()}
    assert {"Organic Cotton Tee", "Stoneware Mug", "Merino Crew Sweater"} <= set(products)
    tee = products["Organic Cotton Tee"]
    assert [o["name"] for o in tee["options"]] == ["Color", "Size"]
    assert tee["options"][1]["values"] == ["S", "M", "L", "XL"]
    by_title = {v["title"]: v for v in tee["variants"]}
    sage_m = by_title["Sage / M"]
    assert sage_m["sku"] == "OCT-TEE-SG-M" and sage_m["price"] == "29.00" and sage_m["available_for_sale"]
    assert by_title["Sage / XL"]["price"] == "32.00"  # dearer
    assert by_title["White / M"]["price"] == "26.00"  # cheaper
    assert by_title["Sage / L"]["inventory_quantity"] == 0 and not by_title["Sage / L"]["available_for_sale"]
    mug = products["Stoneware Mug"]
    assert [v["title"] for v in mug["variants"]] == ["Blue", "White", "Charcoal"]
    tote = products["Everyday Tote"]
    assert [v["title"] for v in tote["variants"]] == ["Default Title"]
    assert tote["variants"][0]["inventory_management"] is None and tote["variants"][0]["available_for_sale"]
    every = [v for p in products.values() for v in p["variants"]]
    assert (
        any(not v["available_for_sale"] for v in every) and sum(v["available_for_sale"] for v in every) > 40
    )


def test_order_lines_point_at_their_variant_and_product(seeded: Devstore) -> None:
    order = next(o for o in seeded.orders() if o["currency"] == "USD")
    nodes = seeded.graphql(ORDER_LINES, {"id": order["admin_graphql_api_id"]})["data"]["order"]["lineItems"]
    for node, rest in zip(nodes["nodes"], order["line_items"], strict=True):
        variant = node["variant"]
        assert variant["id"] == f"gid://shopify/ProductVariant/{rest['variant_id']}"
        assert variant["product"] == node["product"] and node["product"]["title"] == node["title"]
        assert node["variantTitle"] in (variant["title"], None)
        assert Decimal(variant["price"]) == Decimal(rest["price"])
        assert " / ".join(o["value"] for o in variant["selectedOptions"]) == variant["title"]


def test_a_custom_line_has_no_variant_or_product(devstore: Devstore) -> None:
    order = devstore.create_order(line_items=[{"title": "Gift wrap", "quantity": 1, "price": "3.00"}])
    nodes = devstore.graphql(ORDER_LINES, {"id": order["id"]})["data"]["order"]["lineItems"]["nodes"]
    assert nodes[0]["variant"] is None and nodes[0]["product"] is None


def test_product_variant_and_node_read_a_variant(devstore: Devstore) -> None:
    product = devstore.create_product(
        title="Stoneware Mug",
        options=["Color"],
        variants=[
            {"options": ["Blue"], "price": "22.00", "sku": "MUG-BL", "inventory_quantity": 4},
            {"options": ["White"], "price": "22.00", "sku": "MUG-WH", "inventory_quantity": 0},
        ],
    )
    white = product["variants"][1]
    got = devstore.graphql(VARIANT, {"id": white["admin_graphql_api_id"]})["data"]
    assert got["productVariant"] == {
        "id": white["admin_graphql_api_id"],
        "legacyResourceId": str(white["id"]),
        "title": "White",
        "displayName": "Stoneware Mug - White",
        "sku": "MUG-WH",
        "price": "22.00",
        "position": 2,
        "availableForSale": False,
        "inventoryQuantity": 0,
        "sellableOnlineQuantity": 0,
        "inventoryPolicy": "DENY",
        "taxable": True,
        "selectedOptions": [{"name": "Color", "value": "White"}],
        "inventoryItem": {"tracked": True, "requiresShipping": True},
        "product": {"id": product["admin_graphql_api_id"], "title": "Stoneware Mug"},
    }
    assert got["node"] == {"id": white["admin_graphql_api_id"], "title": "White"}
    missing = devstore.graphql(VARIANT, {"id": "gid://shopify/ProductVariant/1"})["data"]
    assert missing == {"productVariant": None, "node": None}


def test_product_variants_page_in_position_order(seeded: Devstore) -> None:
    sneakers = next(p for p in seeded.products() if p["title"] == "Canvas Sneakers")
    titles: list[str] = []
    after = None
    while True:
        got = seeded.graphql(
            PRODUCT_VARIANTS, {"id": sneakers["admin_graphql_api_id"], "first": 4, "after": after}
        )["data"]["product"]
        titles += [n["title"] for n in got["variants"]["nodes"]]
        if not got["variants"]["pageInfo"]["hasNextPage"]:
            break
        after = got["variants"]["pageInfo"]["endCursor"]
    assert titles == [v["title"] for v in sneakers["variants"]] and len(titles) == 10
    assert got["variantsCount"] == {"count": 10}
    assert got["options"] == [
        {"name": "Color", "values": ["Black", "White"]},
        {"name": "Size", "values": ["40", "41", "42", "43", "44"]},
    ]
    assert got["hasOutOfStockVariants"] is True and got["hasOnlyDefaultVariant"] is False
    assert got["totalInventory"] == sum(v["inventory_quantity"] for v in sneakers["variants"])


def test_changing_stock_changes_what_is_available(devstore: Devstore) -> None:
    product = devstore.create_product(title="Pour-Over Set", variants=[{"price": "52.50", "sku": "POS"}])
    variant = product["variants"][0]
    assert (variant["title"], variant["inventory_quantity"], variant["available_for_sale"]) == (
        "Default Title",
        0,
        False,
    )
    assert devstore.set_inventory(variant["admin_graphql_api_id"], 3)["inventory_quantity"] == 3
    read = devstore.graphql(VARIANT, {"id": variant["admin_graphql_api_id"]})["data"]["productVariant"]
    assert (read["inventoryQuantity"], read["availableForSale"], read["sellableOnlineQuantity"]) == (
        3,
        True,
        3,
    )
    assert devstore.variant(variant["id"])["inventory_quantity"] == 3
    for path, body, status in (
        (f"/_devstore/variants/{variant['id']}", {"inventory_quantity": "many"}, 422),
        (f"/_devstore/variants/{variant['id']}", {}, 400),
        ("/_devstore/variants/1", {"inventory_quantity": 1}, 404),
        ("/_devstore/products", {"title": ""}, 422),
        ("/_devstore/products", {"title": "Tee", "options": ["Size"], "variants": [{"options": []}]}, 422),
    ):
        assert devstore._request("POST", path, body)[0] == status, (path, body)


def test_an_order_of_a_variant_takes_its_fields_and_optionally_its_stock(devstore: Devstore) -> None:
    product = devstore.create_product(
        title="Organic Cotton Tee",
        options=["Size"],
        variants=[{"options": ["M"], "price": "29.00", "sku": "TEE-M", "inventory_quantity": 2}],
    )
    variant = product["variants"][0]
    order = devstore.create_order(line_items=[{"variant_id": variant["admin_graphql_api_id"], "quantity": 2}])
    line = devstore.order(order["legacy_id"])["line_items"][0]
    assert (line["title"], line["variant_title"], line["sku"], line["price"]) == (
        "Organic Cotton Tee",
        "M",
        "TEE-M",
        "29.00",
    )
    assert (line["variant_id"], line["product_id"]) == (variant["id"], product["id"])
    assert devstore.variant(variant["id"])["inventory_quantity"] == 2  # orderCreate's default: BYPASS

    devstore.create_order(
        line_items=[{"variant_id": variant["id"], "quantity": 1}],
        inventory_behaviour="decrement_obeying_policy",
    )
    assert devstore.variant(variant["id"])["inventory_quantity"] == 1
    with pytest.raises(DevstoreError, match="in stock"):
        devstore.create_order(
            line_items=[{"variant_id": variant["id"], "quantity": 2}],
            inventory_behaviour="decrement_obeying_policy",
        )
    devstore.create_order(
        line_items=[{"variant_id": variant["id"], "quantity": 2}],
        inventory_behaviour="decrement_ignoring_policy",
    )
    assert devstore.variant(variant["id"])["inventory_quantity"] == -1
    with pytest.raises(DevstoreError, match="not in the catalogue"):
        devstore.create_order(line_items=[{"variant_id": 1, "quantity": 1}])


def test_a_cancel_with_restock_puts_the_units_back(devstore: Devstore) -> None:
    product = devstore.create_product(title="Beanie", variants=[{"price": "24.00", "inventory_quantity": 5}])
    variant_id = product["variants"][0]["id"]
    kept = devstore.create_order(line_items=[{"variant_id": variant_id, "quantity": 2}])
    restocked = devstore.create_order(line_items=[{"variant_id": variant_id, "quantity": 3}])
    devstore.cancel(kept["legacy_id"])
    devstore.cancel(restocked["legacy_id"], restock=True)
    assert devstore.variant(variant_id)["inventory_quantity"] == 8


def test_the_catalogue_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "devstore.json"
    store = start_devstore(token=TOKEN, state_file=state)
    try:
        product = store.create_product(title="Tote", variants=[{"price": "38.00", "inventory_quantity": 1}])
        store.set_inventory(product["variants"][0]["id"], 6)
        assert json.loads(state.read_text())["products"][0]["variants"][0]["inventory_quantity"] == 6
        store.restart()
        assert store.variant(product["variants"][0]["id"])["inventory_quantity"] == 6
        assert [p["title"] for p in store.products()] == ["Tote"]
    finally:
        store.stop()
