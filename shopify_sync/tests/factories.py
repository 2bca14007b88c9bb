"""factory_boy factories for the mirror's rows, its `types`, and Shopify's REST webhook bodies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import factory
import factory.django
from django.conf import settings
from django.db import models
from django.utils import timezone

from shopify_sync.models import Customer, FulfillmentOrder, LineItem, Order, Shop, WebhookDelivery
from shopify_sync.types import CustomerData, LineItemData, MailingAddress, Money, OrderData

T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)

ModelT = TypeVar("ModelT", bound=models.Model)
DataT = TypeVar("DataT")


class ModelFactory(factory.django.DjangoModelFactory[ModelT]):
    """A model factory whose call (`OrderFactory()`) the type checker knows returns the model."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # factory_boy creates the object in its untyped metaclass `__call__`.
        def __new__(cls, *args: Any, **kwargs: Any) -> ModelT: ...  # type: ignore[misc]


class DataFactory(factory.Factory[DataT]):
    """A factory for a plain class (our dataclasses), typed like `ModelFactory`."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:

        def __new__(cls, *args: Any, **kwargs: Any) -> DataT: ...  # type: ignore[misc]


class ShopFactory(ModelFactory[Shop]):
    class Meta:
        model = Shop
        django_get_or_create = ["domain"]

    domain = factory.LazyFunction(lambda: settings.SHOPIFY_SHOP_DOMAIN)
    name = "Demo store"
    currency = "USD"
    api_version = "2026-07"


class CustomerFactory(ModelFactory[Customer]):
    class Meta:
        model = Customer

    shop = factory.SubFactory(ShopFactory)
    legacy_id = factory.Sequence(lambda n: 7_000_000 + n)
    shopify_gid = factory.LazyAttribute(lambda c: f"gid://shopify/Customer/{c.legacy_id}")
    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"


class OrderFactory(ModelFactory[Order]):
    class Meta:
        model = Order

    shop = factory.SubFactory(ShopFactory)
    legacy_id = factory.Sequence(lambda n: 5_000_000 + n)
    shopify_gid = factory.LazyAttribute(lambda o: f"gid://shopify/Order/{o.legacy_id}")
    name = factory.Sequence(lambda n: f"#{1001 + n}")
    customer = factory.SubFactory(CustomerFactory, shop=factory.SelfAttribute("..shop"))
    email = factory.LazyAttribute(lambda o: o.customer.email if o.customer else "guest@example.com")
    processed_at = T0
    created_at_shopify = T0
    updated_at_shopify = T0
    financial_status = Order.FinancialStatus.PAID
    fulfillment_status = Order.FulfillmentStatus.UNFULFILLED
    currency = "USD"
    total_price = Decimal("25.00")
    presentment_currency = "USD"
    total_price_presentment = Decimal("25.00")
    shipping_address = factory.LazyFunction(lambda: MailingAddress(first_name="Ada", city="London").as_dict())
    last_payload = factory.LazyAttribute(lambda o: {"id": o.legacy_id, "email": o.email})
    note = "leave at the door"
    synced_at = factory.LazyFunction(timezone.now)


class LineItemFactory(ModelFactory[LineItem]):
    class Meta:
        model = LineItem

    order = factory.SubFactory(OrderFactory)
    shopify_gid = factory.Sequence(lambda n: f"gid://shopify/LineItem/{9_000_000 + n}")
    title = "Mug"
    quantity = 1
    current_quantity = 1
    unfulfilled_quantity = 1
    unit_price = Decimal("25.00")
    unit_price_presentment = Decimal("25.00")
    currency = "USD"
    presentment_currency = "USD"


class FulfillmentOrderFactory(ModelFactory[FulfillmentOrder]):
    class Meta:
        model = FulfillmentOrder

    order = factory.SubFactory(OrderFactory)
    shop = factory.SelfAttribute("order.shop")
    shopify_gid = factory.Sequence(lambda n: f"gid://shopify/FulfillmentOrder/{7_100_000 + n}")
    status = FulfillmentOrder.Status.OPEN
    location_gid = "gid://shopify/Location/1"
    location_name = "Demo store Warehouse"
    source_updated_at = T0
    source = "read"
    fetched_at = factory.LazyFunction(timezone.now)


class WebhookDeliveryFactory(ModelFactory[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery

    webhook_id = factory.Faker("uuid4")
    topic = "orders/updated"
    shop_domain = factory.LazyFunction(lambda: settings.SHOPIFY_SHOP_DOMAIN)
    payload = factory.LazyFunction(dict)
    received_at = factory.LazyFunction(timezone.now)


# -- shopify_sync.types ------------------------------------------------------------------------------


class MoneyFactory(DataFactory[Money]):
    class Meta:
        model = Money

    amount = Decimal("25.00")
    currency = "USD"


class CustomerDataFactory(DataFactory[CustomerData]):
    class Meta:
        model = CustomerData

    legacy_id = factory.Sequence(lambda n: 7_100_000 + n)
    gid = factory.LazyAttribute(lambda c: f"gid://shopify/Customer/{c.legacy_id}")
    email = factory.Sequence(lambda n: f"Buyer{n}@Example.com ")
    first_name = "Grace"
    last_name = "Hopper"


class LineItemDataFactory(DataFactory[LineItemData]):
    class Meta:
        model = LineItemData

    gid = factory.Sequence(lambda n: f"gid://shopify/LineItem/{8_000_000 + n}")
    title = "Tea towel"
    quantity = 2
    current_quantity = 2
    unfulfilled_quantity = 2
    unit_price = factory.SubFactory(MoneyFactory, amount=Decimal("12.50"))
    unit_price_presentment = factory.SubFactory(MoneyFactory, amount=Decimal("12.50"))
    sku = "TT-1"


class OrderDataFactory(DataFactory[OrderData]):
    class Meta:
        model = OrderData

    legacy_id = factory.Sequence(lambda n: 6_000_000 + n)
    gid = factory.LazyAttribute(lambda o: f"gid://shopify/Order/{o.legacy_id}")
    name = factory.Sequence(lambda n: f"#{2001 + n}")
    customer = factory.SubFactory(CustomerDataFactory)
    email = factory.LazyAttribute(lambda o: o.customer.email if o.customer else "guest@example.com")
    created_at = T0
    updated_at = T0
    processed_at = T0
    cancelled_at = None
    cancel_reason = ""
    closed = False
    financial_status = "paid"
    fulfillment_status = "unfulfilled"
    total_price = factory.SubFactory(MoneyFactory)
    total_price_presentment = factory.SubFactory(MoneyFactory)
    total_refunded = factory.SubFactory(MoneyFactory, amount=Decimal("0"))
    tags = ("vip",)
    risk_level = "low"
    shipping_address = factory.LazyFunction(lambda: MailingAddress(first_name="Grace", city="Arlington"))
    line_items = factory.LazyFunction(lambda: (LineItemDataFactory(),))
    note = ""
    raw = factory.LazyAttribute(lambda o: {"id": o.legacy_id})


# -- REST webhook bodies -----------------------------------------------------------------------------


def _money_set(amount: str, currency: str = "USD", presentment: str | None = None, p_currency: str = "USD"):
    return {
        "shop_money": {"amount": amount, "currency_code": currency},
        "presentment_money": {"amount": presentment or amount, "currency_code": p_currency},
    }


def rest_line_item(*, line_id: int = 866550311766439020, quantity: int = 1, price: str = "25.00", **extra):
    return {
        "id": line_id,
        "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
        "title": "Mug",
        "name": "Mug - Blue",
        "variant_title": "Blue",
        "sku": "MUG-BLUE",
        "quantity": quantity,
        "current_quantity": quantity,
        "fulfillable_quantity": quantity,
        "fulfillment_status": None,
        "price": price,
        "price_set": _money_set(price),
        "total_discount": "0.00",
        **extra,
    }


def rest_order(
    *,
    order_id: int = 820982911946154508,
    updated_at: datetime = T0,
    email: str = "Jon@Example.com",
    **overrides: Any,
) -> dict[str, Any]:
    """An `orders/*` webhook body as Shopify sends it (REST order resource, trimmed to what we read)."""
    local = updated_at.astimezone(timezone.get_fixed_timezone(timedelta(hours=9)))  # REST: shop's local time
    body: dict[str, Any] = {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": "#9999",
        "order_number": 9999,
        "email": email,
        "contact_email": email,
        "created_at": (T0 - timedelta(hours=1)).isoformat(),
        "updated_at": local.isoformat(),
        "processed_at": (T0 - timedelta(hours=1)).isoformat(),
        "closed_at": None,
        "cancelled_at": None,
        "cancel_reason": None,
        "financial_status": "paid",
        "fulfillment_status": None,
        "currency": "USD",
        "presentment_currency": "USD",
        "total_price": "25.00",
        "total_price_set": _money_set("25.00"),
        "current_total_price": "25.00",
        "current_total_price_set": _money_set("25.00"),
        "tags": "gift, vip",
        "note": "ring twice",
        "refunds": [],
        "shipping_address": {
            "first_name": "Jon",
            "last_name": "Doe",
            "address1": "123 Amoebobacterieae St",
            "address2": "",
            "city": "Ottawa",
            "province": "Ontario",
            "province_code": "ON",
            "country": "Canada",
            "country_code": "CA",
            "zip": "K2P0V6",
            "phone": "555-625-1199",
            "company": None,
            "latitude": 45.41634,
            "longitude": -75.6868,
            "name": "Jon Doe",
        },
        "customer": {
            "id": 115310627314723954,
            "admin_graphql_api_id": "gid://shopify/Customer/115310627314723954",
            "email": email,
            "first_name": "Jon",
            "last_name": "Doe",
        },
        "line_items": [rest_line_item()],
    }
    body.update(overrides)
    return body
