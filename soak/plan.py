"""What the soak asks for: the orders it seeds and the requests shoppers make on them, decided up front
from a seeded random generator so that two runs with the same options ask for the same things."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# Shipping addresses the devstore and the portal both accept, one template per country.
ADDRESSES = {
    "US": {"city": "New York", "province": "New York", "province_code": "NY", "zip": "10001"},
    "CA": {"city": "Toronto", "province": "Ontario", "province_code": "ON", "zip": "M5V 2T6"},
    "KR": {"city": "Seoul", "province": "Seoul", "province_code": "KR-11", "zip": "03187"},
    "JP": {"city": "Chiyoda", "province": "Tokyo", "province_code": "JP-13", "zip": "100-0001"},
    "GB": {"city": "London", "province": "", "province_code": "", "zip": "SW1A 1AA"},
    "DE": {"city": "Berlin", "province": "", "province_code": "", "zip": "10115"},
}
COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "KR": "South Korea",
    "JP": "Japan",
    "GB": "United Kingdom",
    "DE": "Germany",
}
FIRST_NAMES = ["Ada", "Grace", "Min-jun", "Yuki", "Oliver", "Lena", "Ji-woo", "Noah", "Emma", "Hiro"]
LAST_NAMES = ["Lee", "Kim", "Park", "Sato", "Smith", "Müller", "Brown", "Tanaka", "Choi", "Jones"]
PRODUCTS = [("Celadon cup", "22.50"), ("Linen apron", "38.00"), ("Tea tin", "12.00"), ("Brass spoon", "9.50")]
REASONS = ["changed_my_mind", "ordered_by_mistake", "found_better_price", "delivery_too_slow", "other"]

# A block of requests is submitted under one policy: most blocks auto-approve, every fourth is moderated.
BLOCK = 10
MODERATED_EVERY = 4
AUTO_REFUNDS = ["full", "store_credit", "none"]
MODERATED_DECISIONS = ["full", "partial", "store_credit", "none", "reject"]


def address(country: str, *, first: str, last: str, street: str, unit: str = "") -> dict[str, str]:
    template = ADDRESSES[country]
    return {
        "first_name": first,
        "last_name": last,
        "company": "",
        "address1": street,
        "address2": unit,
        "city": template["city"],
        "province": template["province"],
        "province_code": template["province_code"],
        "country": COUNTRY_NAMES[country],
        "country_code": country,
        "zip": template["zip"],
        "phone": "",
    }


@dataclass
class PlannedOrder:
    index: int
    email: str
    country: str
    first: str
    last: str
    line_items: list[dict]
    processed_at: datetime
    legacy_id: int | None = None  # known once the devstore created it

    def devstore_body(self) -> dict:
        shipping = address(
            self.country, first=self.first, last=self.last, street=f"{self.index + 1} Soak Road"
        )
        return {
            "email": self.email,
            "customer_name": f"{self.first} {self.last}",
            "line_items": self.line_items,
            "shipping_address": shipping,
            "currency": "USD",
            "financial_status": "paid",
            "processed_at": self.processed_at.isoformat(),
            "tags": "soak",
        }


@dataclass
class PlannedRequest:
    position: int
    order: PlannedOrder
    kind: str  # "cancel" | "address_change"
    moderated: bool
    decision: str  # a refund kind, "approve" (address) or "reject"; for auto: the policy's default refund
    reason_code: str = ""
    reason_text: str = ""
    new_address: dict[str, str] | None = None
    fulfil: bool = False  # the store ships the order right after the shopper asked
    block: int = 0


@dataclass
class Plan:
    orders: list[PlannedOrder]
    requests: list[PlannedRequest]
    shopper_emails: list[str] = field(default_factory=list)

    def blocks(self) -> list[list[PlannedRequest]]:
        found: dict[int, list[PlannedRequest]] = {}
        for request in self.requests:
            found.setdefault(request.block, []).append(request)
        return [found[key] for key in sorted(found)]


def make_plan(*, requests: int, seed: int, now: datetime | None = None) -> Plan:
    """`requests` requests: one per order, plus a cancel after an earlier address change on one order
    in ten; seven in ten first requests are cancels; one in sixteen orders ships right after the ask."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    second_requests = requests // 10
    order_count = requests - second_requests
    shopper_count = max(5, order_count // 4)
    shoppers = [f"soak-shopper-{n}@example.com" for n in range(shopper_count)]
    orders = []
    for index in range(order_count):
        items = [
            {"title": title, "quantity": rng.randint(1, 3), "price": price}
            for title, price in rng.sample(PRODUCTS, rng.randint(1, 3))
        ]
        orders.append(
            PlannedOrder(
                index=index,
                email=shoppers[index % shopper_count],
                country=rng.choice(list(ADDRESSES)),
                first=rng.choice(FIRST_NAMES),
                last=rng.choice(LAST_NAMES),
                line_items=items,
                processed_at=now - timedelta(minutes=rng.uniform(1, 15)),
            )
        )

    # Each first request is keyed by its place; a second request (a cancel after the order's address
    # change) comes 20 to 60 places after the first.
    keyed: list[tuple[float, PlannedOrder, str]] = []
    address_orders: list[tuple[float, PlannedOrder]] = []
    for order in orders:
        kind = "address_change" if rng.random() < 0.3 else "cancel"
        keyed.append((float(order.index), order, kind))
        if kind == "address_change":
            address_orders.append((float(order.index), order))
    for key, order in rng.sample(address_orders, min(second_requests, len(address_orders))):
        keyed.append((key + rng.randint(20, 60) + 0.5, order, "cancel"))
    keyed.sort(key=lambda entry: entry[0])
    planned = [(order, kind) for _key, order, kind in keyed]
    twice = {order.index for order, kind in planned if kind == "cancel"} & {
        order.index for order, kind in planned if kind == "address_change"
    }

    result = []
    moderated_decisions = 0
    for position, (order, kind) in enumerate(planned[:requests]):
        block = position // BLOCK
        moderated = block % MODERATED_EVERY == MODERATED_EVERY - 1
        if moderated:
            decision = MODERATED_DECISIONS[moderated_decisions % len(MODERATED_DECISIONS)]
            moderated_decisions += 1
            if kind == "address_change":
                decision = "reject" if decision == "reject" else "approve"
        else:
            decision = AUTO_REFUNDS[block % len(AUTO_REFUNDS)] if kind == "cancel" else "approve"
        request = PlannedRequest(
            position=position, order=order, kind=kind, moderated=moderated, decision=decision, block=block
        )
        if kind == "cancel":
            request.reason_code = rng.choice(REASONS)
            request.reason_text = "Found it elsewhere" if request.reason_code == "other" else ""
        else:
            request.new_address = address(
                order.country,
                first=order.first,
                last=order.last,
                street=f"{rng.randint(1, 999)} Changed Street",
                unit=f"Apt {rng.randint(1, 40)}",
            )
        request.fulfil = order.index not in twice and rng.random() < 1 / 16
        result.append(request)
    return Plan(orders=orders, requests=result, shopper_emails=shoppers)
