from __future__ import annotations

import json

from shopify_sync import graphql_results
from shopify_sync.bulk_jsonl import CHUNK, lines_backwards, orders_with_children


def _write(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_it_pairs_each_order_with_its_lines_even_when_lines_come_later_than_right_after(tmp_path):
    rows = [
        {"id": "gid://shopify/Order/1"},
        {"id": "gid://shopify/LineItem/11", "__parentId": "gid://shopify/Order/1"},
        {"id": "gid://shopify/Order/2"},
        {"id": "gid://shopify/LineItem/21", "__parentId": "gid://shopify/Order/2"},
        {"id": "gid://shopify/LineItem/12", "__parentId": "gid://shopify/Order/1"},  # late child
    ]

    pairs = {
        order["id"]: [c["id"] for c in kids]
        for order, kids in orders_with_children(_write(tmp_path / "a", rows))
    }

    assert pairs == {
        "gid://shopify/Order/1": ["gid://shopify/LineItem/11", "gid://shopify/LineItem/12"],
        "gid://shopify/Order/2": ["gid://shopify/LineItem/21"],
    }


def test_it_reads_lines_that_straddle_block_boundaries(tmp_path):
    rows = [{"id": f"gid://shopify/Order/{i}", "note": "x" * (i % 97)} for i in range(3 * CHUNK // 50)]
    path = _write(tmp_path / "b", rows)

    backwards = [json.loads(line)["id"] for line in lines_backwards(path)]

    assert backwards == [row["id"] for row in reversed(rows)]


def test_an_empty_file_has_no_orders(tmp_path):
    path = tmp_path / "c"
    path.write_text("")

    assert list(orders_with_children(path)) == []


def test_gift_card_and_no_shipping_lines_keep_their_flags_through_a_bulk_file(tmp_path):
    order = {
        "id": "gid://shopify/Order/1",
        "createdAt": "2026-07-01T00:00:00Z",
        "updatedAt": "2026-07-01T00:00:00Z",
        "currencyCode": "USD",
    }
    rows = [
        order,
        {
            "id": "gid://shopify/LineItem/11",
            "__parentId": order["id"],
            "requiresShipping": False,
            "isGiftCard": True,
        },
        {
            "id": "gid://shopify/LineItem/12",
            "__parentId": order["id"],
            "requiresShipping": False,
            "isGiftCard": False,
        },
        {
            "id": "gid://shopify/LineItem/13",
            "__parentId": order["id"],
            "requiresShipping": True,
            "isGiftCard": False,
        },
    ]

    [(row, children)] = orders_with_children(_write(tmp_path / "d", rows))
    lines = graphql_results.order(row, children).line_items

    assert [(line.gid[-2:], line.requires_shipping, line.gift_card) for line in lines] == [
        ("11", False, True),
        ("12", False, False),
        ("13", True, False),
    ]


def test_a_line_row_without_the_flags_is_shipped_and_no_gift_card():
    line = graphql_results.line_item({"id": "gid://shopify/LineItem/1"}, "USD", "USD")

    assert (line.requires_shipping, line.gift_card) == (True, False)
