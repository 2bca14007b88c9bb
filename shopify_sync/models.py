"""The portal's mirror of the Shopify store: shop, customers, orders, line items, webhook deliveries.

Rows here come from Shopify (webhooks, incremental and bulk sync) and are a cache that may be stale:
every write goes through `shopify_sync.services`, and nothing here does I/O. Statuses use Shopify's
GraphQL enum names in lower case, whatever the source (see `shopify_sync.types`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, TypedDict

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MoneyFieldOptions(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: Final[MoneyFieldOptions] = {"max_digits": 14, "decimal_places": 4}


class Shop(models.Model):
    """A store the portal serves: how shoppers reach it, how it looks, where its order sync stands."""

    domain = models.CharField(max_length=255, unique=True, help_text=_("The shop's myshopify.com domain."))
    name = models.CharField(max_length=255, blank=True)
    # A deployment serving several stores tells them apart by the host a shopper came to.
    portal_host = models.CharField(
        max_length=255,
        blank=True,
        help_text=_("Where shoppers reach this store's portal, e.g. help.example.com (in ALLOWED_HOSTS)."),
    )
    logo_url = models.URLField(max_length=1000, blank=True, help_text=_("Shown at the top of every page."))
    brand_colour = models.CharField(
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour as #RRGGBB, e.g. #1a73e8."))],
        help_text=_("Header colour, #RRGGBB."),
    )
    default_language = models.CharField(
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("For shoppers whose browser asks for no language the portal has."),
    )
    # Agencies: staff listed here see and moderate this store only (and the other stores they are listed
    # on); staff listed on no store, and superusers, see every store.
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="shops",
        help_text=_("Staff limited to this store in the console. Staff of no store see every store."),
    )
    api_version = models.CharField(max_length=16, blank=True)
    iana_timezone = models.CharField(max_length=64, default="UTC")
    currency = models.CharField(max_length=3, blank=True, help_text=_("The shop's own currency (ISO 4217)."))
    sync_cursor = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("The newest order `updated_at` that incremental sync has fully stored."),
    )
    # One incremental sync per shop at a time: a process claims this lease with a conditional update and
    # renews it page by page; a crashed process's lease simply runs out.
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_sync_started_at = models.DateTimeField(null=True, blank=True)
    last_sync_finished_at = models.DateTimeField(null=True, blank=True)
    last_sync_error = models.TextField(blank=True)
    last_full_import_at = models.DateTimeField(null=True, blank=True)
    installed = models.BooleanField(default=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop")
        constraints = [
            models.UniqueConstraint(
                fields=["portal_host"], condition=~Q(portal_host=""), name="shop_unique_portal_host"
            )
        ]

    def __str__(self) -> str:
        return self.domain

    def clean(self) -> None:
        # Compared with the request's host, which Django lower-cases and we strip of its port.
        self.portal_host = self.portal_host.strip().lower().rstrip(".")


class ShopAccess(models.Model):
    """How the portal signs in to one shop's Admin API: the token it holds and what the token grants.

    The token is stored encrypted (`shopify_sync.encryption`) and shown nowhere; `shopify_sync.tokens`
    is the only reader. A legacy static token (`SHOPIFY_ACCESS_TOKEN`) is not stored here.
    """

    class Grant(models.TextChoices):
        CLIENT_CREDENTIALS = "client_credentials", _("Client credentials")
        AUTHORIZATION_CODE = "authorization_code", _("App install (offline token)")

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, primary_key=True, related_name="access")
    grant = models.CharField(max_length=32, choices=Grant.choices)
    token_ciphertext = models.TextField(blank=True, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the token stops working; empty for one that never expires.")
    )
    scopes = models.JSONField(default=list, blank=True, help_text=_("The access scopes the token grants."))
    obtained_at = models.DateTimeField(null=True, blank=True)
    renewals = models.PositiveIntegerField(default=0, help_text=_("Tokens obtained so far."))
    last_error = models.TextField(blank=True, help_text=_("Why the last token request failed, if it did."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop access")
        verbose_name_plural = _("shop access")

    def __str__(self) -> str:
        return f"{self.shop_id} ({self.grant})"


class Customer(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="customers")
    shopify_gid = models.CharField(max_length=100)
    legacy_id = models.BigIntegerField()
    email = models.EmailField(max_length=254, blank=True, help_text=_("Stripped and lower-cased."))
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("customer")
        constraints = [
            models.UniqueConstraint(fields=["shop", "shopify_gid"], name="customer_unique_gid_per_shop"),
            models.UniqueConstraint(fields=["shop", "legacy_id"], name="customer_unique_legacy_id_per_shop"),
        ]
        indexes = [models.Index(fields=["email"], name="customer_email")]

    def __str__(self) -> str:
        return self.email or self.shopify_gid


class Order(models.Model):
    class FinancialStatus(models.TextChoices):
        # OrderDisplayFinancialStatus, lower case
        PENDING = "pending", _("Pending")
        AUTHORIZED = "authorized", _("Authorized")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        VOIDED = "voided", _("Voided")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        EXPIRED = "expired", _("Expired")

    class FulfillmentStatus(models.TextChoices):
        # OrderDisplayFulfillmentStatus, lower case
        UNFULFILLED = "unfulfilled", _("Unfulfilled")
        PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially fulfilled")
        FULFILLED = "fulfilled", _("Fulfilled")
        RESTOCKED = "restocked", _("Restocked")
        PENDING_FULFILLMENT = "pending_fulfillment", _("Pending fulfillment")
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        ON_HOLD = "on_hold", _("On hold")
        SCHEDULED = "scheduled", _("Scheduled")
        REQUEST_DECLINED = "request_declined", _("Request declined")

    class CancelReason(models.TextChoices):
        # OrderCancelReason, lower case
        CUSTOMER = "customer", _("Customer changed or cancelled order")
        DECLINED = "declined", _("Payment declined")
        FRAUD = "fraud", _("Fraudulent order")
        INVENTORY = "inventory", _("Items unavailable")
        STAFF = "staff", _("Staff error")
        OTHER = "other", _("Other")

    class RiskLevel(models.TextChoices):
        # OrderRiskLevel, lower case; "" when Shopify has not assessed the order (or we never asked)
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="orders")
    shopify_gid = models.CharField(max_length=100)
    legacy_id = models.BigIntegerField(help_text=_("The numeric id Shopify shows (legacyResourceId)."))
    name = models.CharField(max_length=64, help_text=_("What the shopper sees, e.g. #1001."))
    email = models.EmailField(max_length=254, blank=True, help_text=_("Stripped and lower-cased."))
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    processed_at = models.DateTimeField()
    created_at_shopify = models.DateTimeField()
    updated_at_shopify = models.DateTimeField(
        help_text=_("Shopify's updated_at: an older payload never overwrites a newer one.")
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=16, choices=CancelReason.choices, blank=True)
    financial_status = models.CharField(max_length=32, choices=FinancialStatus.choices, blank=True)
    fulfillment_status = models.CharField(max_length=32, choices=FulfillmentStatus.choices, blank=True)
    closed = models.BooleanField(default=False)
    currency = models.CharField(max_length=3, help_text=_("The shop's currency."))
    total_price = models.DecimalField(**MONEY)
    total_refunded = models.DecimalField(**MONEY, default=0)
    presentment_currency = models.CharField(max_length=3, help_text=_("The currency the shopper paid in."))
    total_price_presentment = models.DecimalField(**MONEY)
    # Shopify's currentTotalPriceSet: the total after order edits, returns and refunded removals (the two
    # above are the total as placed). Null for a row written before the mirror read it.
    current_total_price = models.DecimalField(**MONEY, null=True, blank=True)
    current_total_price_presentment = models.DecimalField(**MONEY, null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    risk_level = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True)
    note = models.TextField(blank=True)
    shipping_address = models.JSONField(
        null=True, blank=True, help_text=_("The fields of shopify_sync.types.MailingAddress.")
    )
    last_payload = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(help_text=_("When the portal last wrote this row from Shopify."))
    # `orders/delete` keeps the row (other apps may point at it) and hides it from shoppers.
    deleted_at = models.DateTimeField(null=True, blank=True)

    refresh_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Set when two webhooks of one second disagreed: the order is read from Shopify."),
    )

    class Meta:
        verbose_name = _("order")
        constraints = [
            models.UniqueConstraint(fields=["shop", "shopify_gid"], name="order_unique_gid_per_shop"),
            models.UniqueConstraint(fields=["shop", "legacy_id"], name="order_unique_legacy_id_per_shop"),
        ]
        indexes = [
            # the shopper's order list: by e-mail (guest checkouts) or by customer, newest first
            models.Index(fields=["email", "-processed_at"], name="order_email_processed"),
            models.Index(fields=["customer", "-processed_at"], name="order_customer_processed"),
            # incremental sync and admin: recently changed orders of a shop
            models.Index(fields=["shop", "-updated_at_shopify"], name="order_shop_updated"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def display_total_presentment(self) -> Decimal:
        """The total the shopper's pages show, in the presentment currency: what the order costs now,
        after edits and returns. A cancelled order keeps its total as placed (Shopify's current total
        drops to 0 on a cancel; the refund is shown beside it), and so does a row synced before the
        mirror kept the current total."""
        if self.current_total_price_presentment is None or self.is_cancelled:
            return self.total_price_presentment
        return self.current_total_price_presentment

    @property
    def fulfillment_in_progress(self) -> bool:
        """Whether the mirror shows one of the order's fulfilment orders in progress (a fulfilment service
        accepted it, the warehouse reported progress), which the order's own fulfilment status may not show
        yet. Uses `self.fulfillment_orders.all()`: pages prefetch it."""
        return any(fo.status == FulfillmentOrder.Status.IN_PROGRESS for fo in self.fulfillment_orders.all())


class LineItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="line_items")
    shopify_gid = models.CharField(max_length=100, unique=True)
    title = models.CharField(max_length=500)
    variant_title = models.CharField(max_length=500, blank=True)
    sku = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField(help_text=_("As ordered."))
    current_quantity = models.PositiveIntegerField(help_text=_("After edits and refunds."))
    unfulfilled_quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY)
    unit_price_presentment = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    presentment_currency = models.CharField(max_length=3)
    image_url = models.URLField(max_length=1000, blank=True)
    position = models.PositiveIntegerField(default=0, help_text=_("Order of the line in Shopify's answer."))
    requires_shipping = models.BooleanField(
        default=True, help_text=_("False for digital goods and services: nothing to ship.")
    )
    gift_card = models.BooleanField(default=False, help_text=_("The line sells a gift card."))

    class Meta:
        verbose_name = _("line item")
        ordering = ["order", "position"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title}"

    @property
    def display_quantity(self) -> int:
        """The quantity the shopper's pages show: what is on the order now (0: edited out or refunded,
        so not shown), except on a cancelled order, whose lines Shopify zeroes and which shows what was
        ordered. `self.order` is the order the lines were read through (no query)."""
        return self.quantity if self.order.is_cancelled else self.current_quantity


class FulfillmentOrder(models.Model):
    """One of an order's fulfilment orders as Shopify last told the portal: its status, where it ships
    from and the holds on it.

    Written by the `fulfillment_orders/*` webhooks and by the portal's own live reads (placing and
    releasing holds), never by the order sync. None of those sources carries an `updated_at` for a
    fulfilment order, so `source_updated_at` is when the source saw it (X-Shopify-Triggered-At, or the
    moment before a live read): an older one never overwrites a newer row (`services.fulfillment_orders`).
    """

    class Status(models.TextChoices):
        # FulfillmentOrderStatus, lower case
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        ON_HOLD = "on_hold", _("On hold")
        SCHEDULED = "scheduled", _("Scheduled")
        INCOMPLETE = "incomplete", _("Incomplete")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfillment_orders")
    shopify_gid = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices)
    request_status = models.CharField(
        max_length=32, blank=True, help_text=_("A fulfilment service's answer (accepted, rejected…).")
    )
    location_gid = models.CharField(max_length=100, blank=True)
    location_name = models.CharField(max_length=255, blank=True)
    holds = models.JSONField(
        default=list, blank=True, help_text=_("Each hold's id, handle, reason, notes and whether it is ours.")
    )
    source_updated_at = models.DateTimeField(
        help_text=_("When the source saw this state: an older one never overwrites it.")
    )
    source = models.CharField(max_length=100, blank=True, help_text=_("What wrote it last."))
    fetched_at = models.DateTimeField(help_text=_("When the portal last wrote this row."))

    class Meta:
        verbose_name = _("fulfilment order")
        verbose_name_plural = _("fulfilment orders")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "shopify_gid"], name="fulfillment_order_unique_gid_per_shop"
            ),
        ]

    def __str__(self) -> str:
        return self.shopify_gid

    @property
    def hold_summary(self) -> str:
        """The holds as the console lists them: reason (handle), ours marked."""
        return "; ".join(
            " ".join(
                part
                for part in (
                    str(hold.get("reason") or "").replace("_", " "),
                    f"({hold['handle']})" if hold.get("handle") else "",
                    str(_("ours")) if hold.get("ours") else "",
                )
                if part
            )
            for hold in self.holds or ()
        )


class WebhookDelivery(models.Model):
    """One webhook Shopify sent, stored before it is processed (by a task) so none is lost."""

    webhook_id = models.CharField(
        max_length=100, unique=True, help_text=_("X-Shopify-Webhook-Id: the same across retries.")
    )
    topic = models.CharField(max_length=100)
    shop_domain = models.CharField(max_length=255)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    api_version = models.CharField(max_length=16, blank=True)
    event_id = models.CharField(max_length=100, blank=True)
    triggered_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text=_("Why the last attempt failed; empty once processed."))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # the retry sweep reads only the (few) unprocessed rows
            models.Index(
                fields=["received_at"], condition=Q(processed_at__isnull=True), name="webhook_unprocessed"
            ),
            # the admin's newest-first list and the daily prune of old processed deliveries
            models.Index(fields=["received_at"], name="webhook_received"),
        ]
        constraints = [
            # One event is kept (and processed) once, whatever webhook ids Shopify sent it under: it sends
            # an event once per subscription and may deliver it again. A delivery without an
            # X-Shopify-Event-Id is kept once per webhook id alone.
            models.UniqueConstraint(
                fields=["shop_domain", "topic", "event_id"],
                condition=~Q(event_id=""),
                name="webhook_event_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.webhook_id}"

    @property
    def is_processed(self) -> bool:
        return self.processed_at is not None


class CustomerDataRequest(models.Model):
    """What the portal holds on one shopper, assembled for a `customers/data_request` webhook."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    delivery = models.OneToOneField(
        WebhookDelivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="data_request"
    )
    shopify_request_id = models.BigIntegerField(null=True, blank=True)
    customer_legacy_id = models.BigIntegerField(null=True, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    document = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("customer data request")

    def __str__(self) -> str:
        return f"data request {self.shopify_request_id or self.pk}"
