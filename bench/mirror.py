"""A store's mirror at a realistic size, written in a few SQL statements: tens of thousands of orders from
thousands of other shoppers, around the few orders a benchmark or a test signs in to see.

`orders_upsert` would take minutes for 50,000 orders; these rows are what the pages read from the mirror
(orders and their customers, with payloads of a real order's size), not what a sync would check.
"""

from __future__ import annotations

import hashlib
import json

from django.db import connection

from shopify_sync.models import Customer, Order, Shop

# Far from the factories' sequences (6,000,000 for orders, 7,100,000 for customers).
FIRST_LEGACY_ID = 900_000_000


def mirror_fill(shop: Shop, *, orders: int = 50_000, shoppers: int = 10_000, payloads: bool = True) -> None:
    """Add `orders` orders of `shoppers` other shoppers (`shopper-<n>@example.com`) to `shop`'s mirror.

    As in a real store: most orders belong to a customer account with the same e-mail, one in ten is a
    guest checkout (no customer), one in twenty was placed with another address than the customer's, a
    few were cancelled, one in a hundred Shopify deleted; spread over two years. Tables are analysed
    afterwards, as autovacuum would have done in a store that grew to this size. `payloads=False` stores
    an empty payload (a test of which rows a query reads needs no 4 kB per order; 2 s instead of 5)."""
    customer_table, order_table = Customer._meta.db_table, Order._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {customer_table} (shop_id, shopify_gid, legacy_id, email, first_name, last_name)
            SELECT %(shop)s, 'gid://shopify/Customer/' || (%(first)s + n), %(first)s + n,
                   'shopper-' || n || '@example.com', 'Shopper', 'No. ' || n
            FROM generate_series(1, %(shoppers)s) AS n
            """,  # noqa: S608 - table names from the models, values as parameters
            {"shop": shop.pk, "first": FIRST_LEGACY_ID, "shoppers": shoppers},
        )
        cursor.execute(
            f"""
            WITH numbered AS (
                SELECT n, 1 + (n * 7919) %% %(shoppers)s AS who,
                       now() - make_interval(mins => (n * 37) %% (2 * 365 * 24 * 60)) AS at
                FROM generate_series(1, %(orders)s) AS n
            )
            INSERT INTO {order_table} (
                shop_id, shopify_gid, legacy_id, name, email, customer_id, processed_at, created_at_shopify,
                updated_at_shopify, cancelled_at, cancel_reason, financial_status, fulfillment_status, closed,
                currency, total_price, total_refunded, presentment_currency, total_price_presentment,
                current_total_price, current_total_price_presentment, tags, risk_level, note,
                shipping_address, last_payload, synced_at, deleted_at
            )
            SELECT %(shop)s, 'gid://shopify/Order/' || (%(first)s + n), %(first)s + n, '#' || (100000 + n),
                   CASE WHEN n %% 20 = 0 THEN 'gift-' || who || '@example.net'
                        ELSE 'shopper-' || who || '@example.com' END,
                   CASE WHEN n %% 10 = 0 THEN NULL ELSE customer.id END,
                   at, at, at,
                   CASE WHEN n %% 50 = 0 THEN at + interval '1 hour' END,
                   CASE WHEN n %% 50 = 0 THEN 'customer' ELSE '' END,
                   CASE WHEN n %% 50 = 0 THEN 'refunded' ELSE 'paid' END,
                   CASE WHEN at < now() - interval '7 days' THEN 'fulfilled' ELSE 'unfulfilled' END,
                   at < now() - interval '30 days',
                   %(currency)s, 45000, 0, %(currency)s, 45000, 45000, 45000, '[]', 'low', '',
                   jsonb_build_object('first_name', 'Shopper', 'last_name', 'No. ' || who,
                                      'address1', n || ' Sejong-daero', 'city', 'Seoul', 'zip', '03187',
                                      'country_code', 'KR', 'province_code', 'KR-11'),
                   %(payload)s::jsonb || jsonb_build_object('id', %(first)s + n,
                       'admin_graphql_api_id', 'gid://shopify/Order/' || (%(first)s + n)),
                   now(),
                   CASE WHEN n %% 100 = 1 THEN now() END
            FROM numbered
            JOIN {customer_table} AS customer
              ON customer.shop_id = %(shop)s AND customer.legacy_id = %(first)s + who
            """,  # noqa: S608 - table names from the models, values as parameters
            {
                "shop": shop.pk,
                "first": FIRST_LEGACY_ID,
                "orders": orders,
                "shoppers": shoppers,
                "currency": shop.currency or "KRW",
                "payload": json.dumps(order_payload() if payloads else {}),
            },
        )
        cursor.execute(f"ANALYZE {customer_table}")
        cursor.execute(f"ANALYZE {order_table}")


def order_payload() -> dict:
    """About 4 kB of JSON, as a REST order body with a few lines is; md5 text so that PostgreSQL's
    compression cannot shrink it to nothing. One body for every order, its ids set per row."""
    lines = [
        {
            "title": f"Celadon cup {line}",
            "price": "22500.00",
            **{key: hashlib.md5(f"{key}-{line}".encode()).hexdigest() for key in _LINE_KEYS},  # noqa: S324
        }
        for line in range(6)
    ]
    attributes = [hashlib.md5(f"attribute-{k}".encode()).hexdigest() for k in range(30)]  # noqa: S324
    return {"line_items": lines, "note_attributes": attributes}


_LINE_KEYS = ("sku", "properties", "discount", "discount_code", "tax", "tax_title")
