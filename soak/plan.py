"""What the soak asks for: the orders it seeds and the requests shoppers make on them, decided up front
from a seeded random generator so that two runs with the same options ask for the same things."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

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


@dataclass(frozen=True)
class CatalogueProduct:
    """A product with variants, created in the devstore at set-up: what an item edit's lines are."""

    title: str
    option: str
    variants: tuple[tuple[str, str], ...]  # (option value, price)

    def price(self, value: str) -> Decimal:
        return Decimal(dict(self.variants)[value])

    def swaps_for(self, value: str) -> list[str]:
        """The other variants a line may become under the default policy: no dearer than the line's."""
        return [
            other
            for other, _price in self.variants
            if other != value and self.price(other) <= self.price(value)
        ]


CATALOGUE = (
    CatalogueProduct("Soak tee", "Size", (("S", "18.00"), ("M", "20.00"), ("L", "20.00"), ("XL", "24.00"))),
    CatalogueProduct("Soak socks", "Colour", (("Grey", "6.00"), ("Black", "6.00"), ("Red", "5.00"))),
    CatalogueProduct("Soak cap", "Colour", (("Navy", "15.00"), ("Sand", "15.00"), ("Olive", "12.00"))),
)
CATALOGUE_BY_TITLE = {product.title: product for product in CATALOGUE}
# Stock no soak can run out of: a swap must find its variant in stock (the store refuses otherwise).
CATALOGUE_STOCK = 1_000_000
ITEM_EDIT_SHARE = 0.22  # of first requests: about 20% of all requests, second requests included
RETURN_SHARE = 0.11  # of first requests: returns after shipping, about 10% of all requests
WITHDRAWAL_SHARE = 0.06  # of first requests: EU withdrawals, about 5% of all requests
ADDRESS_SHARE = 0.3  # of the other first requests
EDIT_FLAVOURS = ("reduce", "remove", "swap")
# A guest (no account: a lookup code's `OrderPass`) owns one order in ten, whatever is asked about it.
GUEST_SHARE = 0.1

# Returns: on orders placed days ago and shipped (all of it, or only the first line one time in four) before
# the soak begins; half of them delivered. Shopify's return reasons, in the shopper's words.
RETURN_REASON_CODES = ("SIZE_TOO_SMALL", "UNWANTED", "NOT_AS_DESCRIBED", "DEFECTIVE", "STYLE", "OTHER")
RETURN_NOTES = ("", "Does not fit", "Arrived chipped")
# Who decides a return the policy does not approve: our console, or the store's staff in Shopify's admin.
RETURN_DECISIONS = ("approve", "shopify_approve", "reject", "shopify_decline")
# A withdrawal's order, in turn: nothing shipped and the cancel window open; everything shipped; nothing
# shipped and every window closed (a withdrawal overrides the store's windows); the first line shipped.
WITHDRAWAL_FLAVOURS = ("unshipped", "shipped", "unshipped_late", "partly_shipped")
# One return or withdrawal in six is confirmed twice at once (a double click): one request, one return.
TWICE_EVERY = 6

# The shop holds fulfilment while a window is open (`Policy.hold_fulfilment`), every window this long: a
# requested order (placed 1 to 15 minutes before the plan) stays in its windows for a whole 10-minute run.
WINDOW_MINUTES = 30
# Orders nobody asks about, one per twenty requests: their windows end during the run (when, the run
# says), so the beat's sweep releases their holds. In turn: a merchant's own hold on it too, shipped by
# the warehouse once released, or only released.
QUIET_EVERY = 20
QUIET_ROLES = ("merchant_hold", "ship_when_released", "released")
# One requested order in forty that the store does not ship meanwhile carries a merchant's hold as well.
MERCHANT_HOLD_EVERY = 40
MERCHANT_HOLD_HANDLE = "warehouse-check"

# A block of requests is submitted under one policy: most blocks auto-approve, every fourth is moderated.
# Returns are approved automatically in every other block (never a moderated one); in the others the
# store decides each (RETURN_DECISIONS in turn).
BLOCK = 10
MODERATED_EVERY = 4
AUTO_REFUNDS = ["full", "store_credit", "none"]
MODERATED_DECISIONS = ["full", "partial", "store_credit", "none", "reject"]


def block_moderated(block: int) -> bool:
    return block % MODERATED_EVERY == MODERATED_EVERY - 1


def block_auto_returns(block: int) -> bool:
    return not block_moderated(block) and block % 2 == 0


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
    line_items: list[dict]  # a custom line (title, price) or a catalogue line (product, variant)
    processed_at: datetime
    legacy_id: int | None = None  # known once the devstore created it
    quiet: bool = False  # no shopper asks about it; its windows end during the run
    merchant_hold: bool = False  # the merchant holds it too (MERCHANT_HOLD_HANDLE): that hold must stay
    ship_when_released: bool = False  # the warehouse ships it once no hold is left on it
    guest: bool = False  # its shopper has no account: they reach it with a lookup code (`OrderPass`)
    shipped: str = ""  # shipped before the run: "all", or "first_line" (the rest waits); "" for neither
    delivered: bool = False  # and the carrier reported it delivered (Shopify's `deliveredAt`)

    def shipped_lines(self) -> list[dict]:
        """The lines shipped before the run (each whole), in order."""
        if self.shipped == "all":
            return list(self.line_items)
        return self.line_items[:1] if self.shipped == "first_line" else []

    def devstore_lines(self, variant_ids: Mapping[tuple[str, str], int]) -> list[dict]:
        return [
            {"variant_id": variant_ids[(line["product"], line["variant"])], "quantity": line["quantity"]}
            if "product" in line
            else line
            for line in self.line_items
        ]

    def devstore_body(self, variant_ids: Mapping[tuple[str, str], int] | None = None) -> dict:
        shipping = address(
            self.country, first=self.first, last=self.last, street=f"{self.index + 1} Soak Road"
        )
        return {
            "email": self.email,
            "customer_name": f"{self.first} {self.last}",
            "line_items": self.devstore_lines(variant_ids or {}),
            "shipping_address": shipping,
            "currency": "USD",
            "financial_status": "paid",
            "processed_at": self.processed_at.isoformat(),
            "tags": "soak",
        }


@dataclass(frozen=True)
class PlannedEdit:
    """One change to one line: lower its quantity (0 removes it), or swap it for another variant."""

    flavour: str  # "reduce" | "remove" | "swap"
    line: int  # the line's place on the order
    quantity: int  # the line's new quantity; a swap keeps it (the new variant's line gets it)
    swap_to: tuple[str, str] | None = None  # (product, variant)
    refund: Decimal = Decimal("0.00")  # what the edit takes off a paid order: refunded once, if above 0


@dataclass
class PlannedRequest:
    position: int
    order: PlannedOrder
    kind: str  # "cancel" | "address_change" | "item_edit" | "return" | "withdrawal"
    # In our console (the moderation queue). A return decided in Shopify's admin is not.
    moderated: bool
    # A refund kind, "approve" (address, item edit) or "reject"; for auto: the default refund. A return
    # (or a withdrawal of shipped goods): "auto", or one of RETURN_DECISIONS.
    decision: str
    reason_code: str = ""
    reason_text: str = ""
    new_address: dict[str, str] | None = None
    edit: PlannedEdit | None = None
    returns: dict[str, int] | None = None  # a return: how many of each shipped line (by title) go back
    twice: bool = False  # a return or withdrawal confirmed twice at once
    # The store ships the order right after the shopper asked: the merchant releases the portal's hold
    # first (the console's "release now"), since the warehouse picks no held order.
    fulfil: bool = False
    block: int = 0


@dataclass
class Plan:
    orders: list[PlannedOrder]
    requests: list[PlannedRequest]
    shopper_emails: list[str] = field(default_factory=list)
    window_minutes: int = WINDOW_MINUTES

    @property
    def quiet_orders(self) -> list[PlannedOrder]:
        return [order for order in self.orders if order.quiet]

    @property
    def shipped_orders(self) -> list[PlannedOrder]:
        """Orders shipped before the run: what returns and some withdrawals are about."""
        return [order for order in self.orders if order.shipped]

    def window_end(self, order: PlannedOrder) -> datetime:
        """When the order's windows (all as long) close, and the portal's hold on it is due to come off."""
        return order.processed_at + timedelta(minutes=self.window_minutes)

    def blocks(self) -> list[list[PlannedRequest]]:
        found: dict[int, list[PlannedRequest]] = {}
        for request in self.requests:
            found.setdefault(request.block, []).append(request)
        return [found[key] for key in sorted(found)]


def make_plan(
    *,
    requests: int,
    seed: int,
    now: datetime | None = None,
    quiet_window_ends: tuple[float, float] = (60.0, 270.0),
) -> Plan:
    """`requests` requests: one per order, plus a cancel after an earlier address change on one order
    in ten. Of the first requests about 22% are item edits (on orders of two or three lines, at least one
    from the catalogue), 11% returns (on orders shipped days ago), 6% EU withdrawals (WITHDRAWAL_FLAVOURS
    in turn), 30% of the rest address changes, the others cancels; one in ten orders is a guest's. One in
    sixteen orders not shipped yet ships right after the ask. One in forty of the others is held by the
    merchant too. Then one quiet order per twenty requests, whose windows end `quiet_window_ends`
    (seconds after `now`, spread evenly)."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    second_requests = requests // 10
    order_count = requests - second_requests
    shopper_count = max(5, order_count // 4)
    shoppers = [f"soak-shopper-{n}@example.com" for n in range(shopper_count)]
    orders = []
    first_kinds: dict[int, str] = {}
    withdrawals = 0
    for index in range(order_count):
        draw = rng.random()
        shipped, delivered = "", False
        placed = now - timedelta(minutes=rng.uniform(1, 15))
        if draw < ITEM_EDIT_SHARE:
            kind = "item_edit"
            items = _edit_order_lines(rng)
        else:
            if draw < ITEM_EDIT_SHARE + RETURN_SHARE:
                kind = "return"
                shipped = "first_line" if rng.random() < 0.25 else "all"
            elif draw < ITEM_EDIT_SHARE + RETURN_SHARE + WITHDRAWAL_SHARE:
                kind = "withdrawal"
                flavour = WITHDRAWAL_FLAVOURS[withdrawals % len(WITHDRAWAL_FLAVOURS)]
                withdrawals += 1
                shipped = {"shipped": "all", "partly_shipped": "first_line"}.get(flavour, "")
                if flavour == "unshipped_late":  # every window closed, the order still in the warehouse
                    placed = now - timedelta(minutes=rng.uniform(2 * WINDOW_MINUTES, 4 * WINDOW_MINUTES))
            else:
                kind = "address_change" if rng.random() < ADDRESS_SHARE else "cancel"
            items = [
                {"title": title, "quantity": rng.randint(1, 3), "price": price}
                for title, price in rng.sample(PRODUCTS, rng.randint(1, 3))
            ]
        if shipped:
            placed = now - timedelta(days=rng.uniform(1, 6))  # bought days ago, shipped since
            delivered = rng.random() < 0.5
        if shipped == "first_line" and len(items) == 1:
            shipped = "all"
        first_kinds[index] = kind
        guest = rng.random() < GUEST_SHARE
        orders.append(
            PlannedOrder(
                index=index,
                email=f"soak-guest-{index}@example.com" if guest else shoppers[index % shopper_count],
                country=rng.choice(list(ADDRESSES)),
                first=rng.choice(FIRST_NAMES),
                last=rng.choice(LAST_NAMES),
                line_items=items,
                processed_at=placed,
                guest=guest,
                shipped=shipped,
                delivered=delivered,
            )
        )

    # Each first request is keyed by its place; a second request (a cancel after the order's address
    # change) comes 20 to 60 places after the first.
    keyed: list[tuple[float, PlannedOrder, str]] = []
    address_orders: list[tuple[float, PlannedOrder]] = []
    for order in orders:
        kind = first_kinds[order.index]
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
    return_decisions = 0
    doubled = 0
    edits = 0
    for position, (order, kind) in enumerate(planned[:requests]):
        block = position // BLOCK
        moderated = block_moderated(block)
        if kind == "return" or (kind == "withdrawal" and order.shipped):
            # What the store does with it: approved by the policy, or decided here or in Shopify.
            if block_auto_returns(block):
                decision = "auto"
            else:
                decision = RETURN_DECISIONS[return_decisions % len(RETURN_DECISIONS)]
                return_decisions += 1
            moderated = decision in ("approve", "reject")
        elif kind == "withdrawal":
            decision = "full"  # the law's refund: the policy's when auto, and the merchant's choice too
        elif moderated:
            decision = MODERATED_DECISIONS[moderated_decisions % len(MODERATED_DECISIONS)]
            moderated_decisions += 1
            if kind != "cancel":  # an address change or an item edit: the default decision, or no
                decision = "reject" if decision == "reject" else "approve"
        else:
            decision = AUTO_REFUNDS[block % len(AUTO_REFUNDS)] if kind == "cancel" else "approve"
        request = PlannedRequest(
            position=position, order=order, kind=kind, moderated=moderated, decision=decision, block=block
        )
        if kind == "cancel":
            request.reason_code = rng.choice(REASONS)
            request.reason_text = "Found it elsewhere" if request.reason_code == "other" else ""
        elif kind == "item_edit":
            request.edit = _edit(rng, order, EDIT_FLAVOURS[edits % len(EDIT_FLAVOURS)])
            edits += 1
        elif kind == "return":
            request.returns = _returned(rng, order)
            request.reason_code = rng.choice(RETURN_REASON_CODES)
            request.reason_text = rng.choice(RETURN_NOTES)
        elif kind == "address_change":
            request.new_address = address(
                order.country,
                first=order.first,
                last=order.last,
                street=f"{rng.randint(1, 999)} Changed Street",
                unit=f"Apt {rng.randint(1, 40)}",
            )
        if kind in ("return", "withdrawal"):
            request.twice = doubled % TWICE_EVERY == 0
            doubled += 1
        # The warehouse ships an order right after the ask (never one shipped already).
        request.fulfil = order.index not in twice and rng.random() < 1 / 16 and not order.shipped
        result.append(request)

    # Drawn after everything above, so that the requests are the ones the soak made before holds.
    shipped_now = {request.order.index for request in result if request.fulfil}
    for order in orders:
        order.merchant_hold = (
            order.index not in shipped_now and rng.random() < 1 / MERCHANT_HOLD_EVERY and not order.shipped
        )
    orders += _quiet_orders(
        rng, first=order_count, count=max(len(QUIET_ROLES), requests // QUIET_EVERY), shoppers=shoppers,
        now=now, ends=quiet_window_ends,
    )  # fmt: skip
    return Plan(orders=orders, requests=result, shopper_emails=shoppers)


def _returned(rng: random.Random, order: PlannedOrder) -> dict[str, int]:
    """Some of each shipped line, or none of it; at least one unit in all."""
    lines = order.shipped_lines()
    chosen = {line["title"]: rng.randint(1, line["quantity"]) for line in lines if rng.random() < 0.6}
    if not chosen:
        line = rng.choice(lines)
        chosen[line["title"]] = rng.randint(1, line["quantity"])
    return chosen


def _quiet_orders(
    rng: random.Random,
    *,
    first: int,
    count: int,
    shoppers: list[str],
    now: datetime,
    ends: tuple[float, float],
) -> list[PlannedOrder]:
    """`count` orders nobody asks about, placed so that their windows end `ends` seconds after `now`,
    evenly apart, each with the next of QUIET_ROLES."""
    start, stop = ends
    step = (stop - start) / max(1, count - 1)
    quiet = []
    for number in range(count):
        index = first + number
        role = QUIET_ROLES[number % len(QUIET_ROLES)]
        window_end = now + timedelta(seconds=start + step * number)
        quiet.append(
            PlannedOrder(
                index=index,
                email=shoppers[index % len(shoppers)],
                country=rng.choice(list(ADDRESSES)),
                first=rng.choice(FIRST_NAMES),
                last=rng.choice(LAST_NAMES),
                line_items=[
                    {"title": title, "quantity": rng.randint(1, 3), "price": price}
                    for title, price in rng.sample(PRODUCTS, rng.randint(1, 3))
                ],
                processed_at=window_end - timedelta(minutes=WINDOW_MINUTES),
                quiet=True,
                merchant_hold=role == "merchant_hold",
                ship_when_released=role == "ship_when_released",
            )
        )
    return quiet


def _edit_order_lines(rng: random.Random) -> list[dict]:
    """Two or three lines: a catalogue line whose variant has another no dearer (a swap the default policy
    accepts), bought two or three times (a reduction keeps some), then another catalogue line or a
    custom one. Never two variants of one product: Shopify will not add a variant already on the order."""
    products = rng.sample(CATALOGUE, 2)
    first = products[0]
    lines: list[dict] = [
        {
            "product": first.title,
            "variant": rng.choice([value for value, _price in first.variants if first.swaps_for(value)]),
            "quantity": rng.randint(2, 3),
        }
    ]
    for _ in range(rng.randint(1, 2)):
        if len(lines) == 1 and rng.random() < 0.5:
            second = products[1]
            lines.append(
                {
                    "product": second.title,
                    "variant": rng.choice(second.variants)[0],
                    "quantity": rng.randint(1, 3),
                }
            )
        else:
            title, price = rng.choice(PRODUCTS)
            lines.append({"title": title, "quantity": rng.randint(1, 2), "price": price})
    return lines


def line_price(line: Mapping) -> Decimal:
    if "product" in line:
        return CATALOGUE_BY_TITLE[line["product"]].price(line["variant"])
    return Decimal(line["price"])


def _edit(rng: random.Random, order: PlannedOrder, flavour: str) -> PlannedEdit:
    """`flavour` on the order's first line (a reduction or a swap) or on any line (a removal), with the
    difference it makes to what the shopper paid (no taxes, shipping unchanged)."""
    lines = order.line_items
    if flavour == "remove":
        place = rng.randrange(len(lines))
        line = lines[place]
        refund = line_price(line) * line["quantity"]
        return PlannedEdit(flavour=flavour, line=place, quantity=0, refund=refund)
    line = lines[0]
    if flavour == "reduce":
        quantity = rng.randint(1, line["quantity"] - 1)
        refund = line_price(line) * (line["quantity"] - quantity)
        return PlannedEdit(flavour=flavour, line=0, quantity=quantity, refund=refund)
    product = CATALOGUE_BY_TITLE[line["product"]]
    target = rng.choice(product.swaps_for(line["variant"]))
    refund = (product.price(line["variant"]) - product.price(target)) * line["quantity"]
    return PlannedEdit(
        flavour=flavour, line=0, quantity=line["quantity"], swap_to=(product.title, target), refund=refund
    )
