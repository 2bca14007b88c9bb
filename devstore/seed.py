"""Deterministic demo data: a catalogue of clothes and homeware in sizes and colours, and shoppers in KR,
US, CA, JP, DE and GB with orders of it over the last 90 days.

Seeding writes straight into the store without webhooks: it is the store's state before anyone watches.
Built for speed (``--seed 50000`` takes a few seconds): one pass, ids allocated in time order so that
sorting by id and by creation time agree, as they do on Shopify.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any, NamedTuple

from . import actions, catalogue, clock
from .money import price_in
from .store import Store

# (country, currency, [(first, last)], [(address1, city, province_code, zip)], phone prefix)
Region = tuple[str, str, list[tuple[str, str]], list[tuple[str, str, str | None, str]], str]
REGIONS: list[Region] = [
    (
        "KR",
        "KRW",
        [
            ("민준", "김"),
            ("서연", "이"),
            ("지호", "박"),
            ("수아", "최"),
            ("우진", "정"),
            ("하은", "강"),
            ("도윤", "조"),
            ("지우", "윤"),
            ("예준", "장"),
            ("서윤", "임"),
        ],
        [
            ("테헤란로 152", "강남구", "KR-11", "06236"),
            ("세종대로 110", "중구", "KR-11", "04524"),
            ("해운대해변로 264", "해운대구", "KR-26", "48099"),
            ("판교역로 166", "성남시 분당구", "KR-41", "13529"),
            ("동대구로 550", "수성구", "KR-27", "42020"),
            ("중앙로 21", "제주시", "KR-49", "63166"),
        ],
        "+82 10-",
    ),
    (
        "US",
        "USD",
        [
            ("Emma", "Johnson"),
            ("Liam", "Smith"),
            ("Olivia", "Brown"),
            ("Noah", "Davis"),
            ("Ava", "Miller"),
            ("Ethan", "Wilson"),
        ],
        [
            ("350 5th Ave", "New York", "NY", "10118"),
            ("1355 Market St", "San Francisco", "CA", "94103"),
            ("600 Congress Ave", "Austin", "TX", "78701"),
            ("400 Broad St", "Seattle", "WA", "98109"),
            ("233 S Wacker Dr", "Chicago", "IL", "60606"),
        ],
        "+1 212-555-",
    ),
    (
        "CA",
        "USD",
        [("Chloe", "Tremblay"), ("William", "Roy"), ("Sophie", "Gagnon"), ("Lucas", "Martin")],
        [
            ("290 Bremner Blvd", "Toronto", "ON", "M5V 3L9"),
            ("745 Thurlow St", "Vancouver", "BC", "V6E 0C5"),
            ("1001 Rue Sherbrooke O", "Montréal", "QC", "H3A 1G5"),
        ],
        "+1 416-555-",
    ),
    (
        "JP",
        "JPY",
        [("Haruto", "Sato"), ("Yui", "Suzuki"), ("Sota", "Takahashi"), ("Hina", "Tanaka")],
        [
            ("2-21-1 Shibuya", "Shibuya-ku", "JP-13", "150-8510"),
            ("1-1-2 Oshiage", "Sumida-ku", "JP-13", "131-0045"),
            ("3-1-1 Umeda", "Osaka", "JP-27", "530-0001"),
        ],
        "+81 90-",
    ),
    (
        "DE",
        "EUR",
        [("Lena", "Müller"), ("Jonas", "Schmidt"), ("Mia", "Schneider"), ("Felix", "Fischer")],
        [
            ("Unter den Linden 77", "Berlin", None, "10117"),
            ("Marienplatz 8", "München", None, "80331"),
            ("Jungfernstieg 7", "Hamburg", None, "20354"),
        ],
        "+49 30 ",
    ),
    (
        "GB",
        "EUR",
        [("Oliver", "Taylor"), ("Amelia", "Evans"), ("George", "Thomas"), ("Isla", "Roberts")],
        [
            ("10 Downing St", "London", None, "SW1A 2AA"),
            ("1 Piccadilly", "Manchester", None, "M1 1RG"),
            ("2 Princes St", "Edinburgh", None, "EH2 2EQ"),
        ],
        "+44 20 7946 ",
    ),
]


class DemoProduct(NamedTuple):
    title: str
    product_type: str
    sku: str  # a variant's SKU is this and its option values' codes: MER-CRW-NV-M
    price: str  # USD
    options: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # (name, ((value, SKU code), ...))
    prices: tuple[tuple[str, str], ...] = ()  # (option value, USD price): dearer and cheaper variants
    sold_out: frozenset[str] = frozenset()  # titles of the variants with nothing in stock
    tracked: bool = True


SIZES = (("S", "S"), ("M", "M"), ("L", "L"), ("XL", "XL"))

# The demo shop's catalogue: sizes and colours to swap between, some sold out, some dearer or cheaper.
CATALOGUE = [
    DemoProduct(
        "Merino Crew Sweater",
        "Sweaters",
        "MER-CRW",
        "89.00",
        (("Color", (("Navy", "NV"), ("Oat", "OT"), ("Forest", "FR"))), ("Size", SIZES)),
        (("XL", "95.00"),),
        frozenset({"Oat / S", "Forest / M", "Navy / XL"}),
    ),
    DemoProduct(
        "Linen Shirt",
        "Shirts",
        "LIN-SHT",
        "64.00",
        (("Color", (("White", "WH"), ("Sky", "SK"))), ("Size", SIZES)),
        (("Sky", "58.00"),),
        frozenset({"White / M", "Sky / XL"}),
    ),
    DemoProduct("Everyday Tote", "Bags", "TOTE-EVD", "38.00", tracked=False),
    DemoProduct("Ceramic Pour-Over Set", "Kitchen", "CER-POS", "52.50"),
    DemoProduct(
        "Wool Beanie",
        "Accessories",
        "WOL-BNE",
        "24.00",
        (("Color", (("Charcoal", "CH"), ("Rust", "RS"), ("Cream", "CR"))),),
        sold_out=frozenset({"Rust"}),
    ),
    DemoProduct(
        "Trail Running Socks (3-pack)",
        "Socks",
        "SCK-TRL",
        "18.00",
        (("Size", (("S", "3S"), ("M", "3M"), ("L", "3L"))),),
        sold_out=frozenset({"L"}),
    ),
    DemoProduct(
        "Leather Card Holder",
        "Accessories",
        "LTH-CRD",
        "45.00",
        (("Color", (("Tan", "TN"), ("Black", "BK"), ("Oxblood", "OX"))),),
        (("Oxblood", "52.00"),),
        frozenset({"Black"}),
    ),
    DemoProduct(
        "Canvas Sneakers",
        "Shoes",
        "CNV-SNK",
        "95.00",
        (
            ("Color", (("Black", "BK"), ("White", "WH"))),
            ("Size", tuple((s, s) for s in ("40", "41", "42", "43", "44"))),
        ),
        sold_out=frozenset({"Black / 43", "White / 40"}),
    ),
    DemoProduct(
        "Organic Cotton Tee",
        "T-Shirts",
        "OCT-TEE",
        "29.00",
        (("Color", (("Sage", "SG"), ("White", "WH"), ("Black", "BK"))), ("Size", SIZES)),
        (("White", "26.00"), ("XL", "32.00")),
        frozenset({"Sage / L", "Black / S"}),
    ),
    DemoProduct(
        "Stoneware Mug",
        "Kitchen",
        "STN-MUG",
        "22.00",
        (("Color", (("Blue", "BL"), ("White", "WH"), ("Charcoal", "CH"))),),
        (("Charcoal", "24.00"),),
        frozenset({"White"}),
    ),
]

# What demo orders sell, by SKU. The order of this list is part of the seed: orders pick from it by index.
SOLD = [
    "MER-CRW-NV-M",
    "MER-CRW-OT-L",
    "LIN-SHT-WH-S",
    "TOTE-EVD",
    "CER-POS",
    "WOL-BNE-CH",
    "SCK-TRL-3M",
    "LTH-CRD-TN",
    "CNV-SNK-BK-42",
    "OCT-TEE-SG-M",
]

TAGS = ["vip", "gift", "wholesale", "first-order", "newsletter", "preorder"]


def _demo_variants(demo: DemoProduct) -> list[dict[str, Any]]:
    """The variants of a demo product: every combination of its option values, in option order."""
    combos: list[tuple[tuple[str, str], ...]] = [()]
    for _name, choices in demo.options:
        combos = [(*combo, choice) for combo in combos for choice in choices]
    prices = dict(demo.prices)
    variants = []
    for position, combo in enumerate(combos, start=1):
        values = [value for value, _code in combo]
        title = " / ".join(values)
        usd = demo.price
        for value in values:  # a later option's price wins: an XL tee in white is an XL's price
            usd = prices.get(value, usd)
        variants.append(
            {
                "options": values,
                "sku": "-".join([demo.sku, *(code for _value, code in combo)]),
                "usd": usd,
                # Stock from the position, so every seed has the same: 1 to 13 on hand, or none.
                "inventory_quantity": 0 if title in demo.sold_out else position * 7 % 13 + 1,
            }
        )
    return variants


def seed_catalogue(store: Store, at: float) -> dict[str, dict[str, Any]]:
    """Add the demo catalogue; returns what an order line needs of each variant, by SKU."""
    lines: dict[str, dict[str, Any]] = {}
    for demo in CATALOGUE:
        variants = _demo_variants(demo)
        product = catalogue.create_product(
            store,
            {
                "title": demo.title,
                "product_type": demo.product_type,
                "options": [name for name, _values in demo.options],
                "variants": [
                    {
                        "options": v["options"],
                        "sku": v["sku"],
                        "price": str(price_in(Decimal(v["usd"]), "USD", store.shop.currency)),
                        "inventory_quantity": v["inventory_quantity"],
                        "inventory_management": "shopify" if demo.tracked else None,
                    }
                    for v in variants
                ],
            },
            at=at,
        )
        for record, v in zip(product["variants"], variants, strict=True):
            lines[v["sku"]] = {
                "title": demo.title,
                "variant_title": catalogue.variant_display_title(record),
                "sku": v["sku"],
                "usd": v["usd"],
                "variant_id": record["id"],
            }
    return lines


def _local_price(usd: str, currency: str) -> Decimal:
    return price_in(Decimal(usd), "USD", currency)


DEMO_SHOPPERS = {0: "demo-ko@example.com", 1: "demo@example.com"}


def seed_store(store: Store, count: int, random_seed: int = 42) -> None:
    """Add ``count`` orders (and about count/3 shoppers) to the store. The caller holds no webhooks."""
    rng = random.Random(random_seed)
    now = clock.now()
    sold = seed_catalogue(store, now - 180 * 86400)
    products = [sold[sku] for sku in SOLD]
    shopper_count = max(count // 3, 1)
    shoppers: list[dict[str, Any]] = []
    for i in range(shopper_count):
        region = REGIONS[i % len(REGIONS)] if i else REGIONS[0]
        country, currency, names, addresses, phone = region
        first, last = names[rng.randrange(len(names))]
        # Two demo shoppers to sign in as: one Korean (KR, KRW) and one English-speaking elsewhere.
        email = DEMO_SHOPPERS.get(i, f"shopper{i}@example.com")
        address1, city, province, zip_code = addresses[rng.randrange(len(addresses))]
        shoppers.append(
            {
                "email": email,
                "customer": {"first_name": first, "last_name": last},
                "currency": currency,
                "shipping_address": {
                    "first_name": first,
                    "last_name": last,
                    "address1": address1,
                    "address2": None,
                    "city": city,
                    "province_code": province,
                    "country_code": country,
                    "zip": zip_code,
                    "phone": f"{phone}{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}"
                    if country == "KR"
                    else f"{phone}{rng.randrange(1000, 9999)}",
                    "company": None,
                },
            }
        )
    # Timestamps in ascending order so ids follow creation time; a handful land in the last hour.
    recent = min(max(count // 20, 1), 12) if count >= 3 else count
    times = sorted(now - rng.uniform(3600, 90 * 86400) for _ in range(count - recent))
    times += sorted(now - rng.uniform(60, 3300) for _ in range(recent))
    for n, at in enumerate(times):
        # The demo shoppers get a recent order each and every 97th: a handful to play with, some inside the
        # change window (the last hour) and most outside it.
        is_recent = n >= count - recent
        if n % 97 == 0 or n == count - 1:
            shopper = shoppers[0]
        elif (n % 97 == 48 or n == count - 2) and len(shoppers) > 1:
            shopper = shoppers[1]
        else:
            shopper = shoppers[rng.randrange(len(shoppers))]
        lines = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            product = products[rng.randrange(len(products))]
            lines.append(
                {
                    "title": product["title"],
                    "variant_title": product["variant_title"],
                    "sku": product["sku"],
                    "variant_id": product["variant_id"],
                    "quantity": rng.choice((1, 1, 1, 2, 3)),
                    "price": str(_local_price(product["usd"], shopper["currency"])),
                }
            )
        roll = rng.random()
        if is_recent:
            financial, fulfillment = ("paid", None) if roll < 0.8 else ("pending", None)
        elif roll < 0.45:
            financial, fulfillment = "paid", "fulfilled"
        elif roll < 0.65:
            financial, fulfillment = "paid", None
        elif roll < 0.73:
            financial, fulfillment = "paid", "partial"
        elif roll < 0.81:
            financial, fulfillment = "pending", None
        elif roll < 0.85:
            financial, fulfillment = "authorized", None
        elif roll < 0.90:
            financial, fulfillment = "refunded", None
        else:
            financial, fulfillment = "partially_refunded", "fulfilled"
        ship = _local_price("7.00", shopper["currency"])
        data = {
            "email": shopper["email"],
            "customer": shopper["customer"],
            "line_items": lines,
            "shipping_address": shopper["shipping_address"],
            "currency": shopper["currency"],
            "processed_at": at,
            "financial_status": financial,
            "fulfillment_status": fulfillment,
            "shipping_price": str(ship),
            "tags": [TAGS[rng.randrange(len(TAGS))]] if rng.random() < 0.3 else [],
        }
        order = actions.create_order(store, data, emit=False, at=at)
        if not is_recent and fulfillment is None and financial in ("paid", "pending") and rng.random() < 0.25:
            actions.cancel_now(
                store,
                order,
                {"reason": rng.choice(("CUSTOMER", "INVENTORY", "OTHER")), "refund": True},
                at=at + rng.uniform(600, 86400),
            )
        elif fulfillment == "fulfilled" and financial == "paid" and rng.random() < 0.5:
            order["closed_at"] = at + 3 * 86400  # archived a few days after fulfilment
            order["updated_at"] = max(order["updated_at"], order["closed_at"])
        if order["updated_at"] > now:
            order["updated_at"] = now
            if order["closed_at"] and order["closed_at"] > now:
                order["closed_at"] = now
