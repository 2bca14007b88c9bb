"""A shopper's item edit, before it is a request: what the edit page offers, Shopify's price of the
changes, and the submit. Each reads the order live from Shopify (one call for the lines, one for the swap
choices, a few for the price): the mirror keeps no variants or products, and money is Shopify's to add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cancellations import item_edits
from cancellations.errors import RequestNotAllowed
from cancellations.models import Policy, Request
from cancellations.policy import order_verdict
from cancellations.selectors import owning_email
from cancellations.services.live import shopify_live
from cancellations.services.policies import policy_get_or_create
from cancellations.services.requests import request_submit
from shopify_sync.client import ShopifyClient
from shopify_sync.connection import client_for
from shopify_sync.models import Order
from shopify_sync.order_edits import EditableOrder, EditPreview, LineChange


@dataclass(frozen=True, slots=True)
class EditOptions:
    order: EditableOrder
    choices: list[item_edits.LineChoice]
    policy: Policy

    @property
    def any_editable(self) -> bool:
        return any(choice.editable for choice in self.choices)


@dataclass(frozen=True, slots=True)
class PricedEdit:
    """Shopify's price of the shopper's changes: what the confirm page shows and the request keeps."""

    changes: list[LineChange]
    preview: EditPreview
    snapshot: dict[str, Any]

    @property
    def refund_due(self):
        return item_edits.refund_due(self.snapshot)

    @property
    def extra_due(self):
        return item_edits.extra_due(self.snapshot)


def _check_allowed(order: Order, shopper, policy: Policy, now: datetime) -> None:
    if not owning_email(shopper, order) or order.deleted_at is not None:
        raise RequestNotAllowed(_("This order is not one of yours."), code="not_owner")
    has_open = Request.objects.filter(
        order=order,
        kind__in=[Request.Kind.ITEM_EDIT, Request.Kind.CANCEL],
        state__in=Request.OPEN_STATES,
    ).exists()
    verdict = order_verdict(
        policy=policy,
        order=order,
        kind=Request.Kind.ITEM_EDIT,
        now=now,
        has_open_request=has_open,
        fulfillment_in_progress=order.fulfillment_in_progress,
    )
    if not verdict:
        raise RequestNotAllowed(verdict.message, code=verdict.code)


def edit_options(
    *, order: Order, shopper, client: ShopifyClient | None = None, now: datetime | None = None
) -> EditOptions:
    """What the shopper may change on each line, from the order as Shopify shows it now."""
    policy = policy_get_or_create(shop=order.shop)
    _check_allowed(order, shopper, policy, now or timezone.now())
    client = client or client_for(order.shop)
    editable = shopify_live(lambda: client.order_for_edit(order.shopify_gid))
    if editable is None:
        raise RequestNotAllowed(_("This order no longer exists in the store."), code="order_gone")
    variants = {}
    if policy.allow_swaps:
        products = sorted({line.product_gid for line in editable.lines if line.product_gid})
        variants = shopify_live(lambda: client.products_variants(products))
    return EditOptions(
        order=editable, choices=item_edits.line_choices(policy, editable, variants), policy=policy
    )


def item_edit_price(
    *,
    order: Order,
    shopper,
    changes: list[LineChange],
    client: ShopifyClient | None = None,
    now: datetime | None = None,
) -> PricedEdit:
    """Check the shopper's changes on the live order, then have Shopify price them (an edit begun and
    staged, never committed). Refused: an excluded item, a swap not on offer, removing everything (that
    is a cancel), or a dearer result when the policy does not allow one."""
    client = client or client_for(order.shop)
    options = edit_options(order=order, shopper=shopper, client=client, now=now)
    kept = item_edits.changes_checked(options.choices, changes)
    preview = shopify_live(lambda: client.order_edit_preview(order_gid=order.shopify_gid, changes=kept))
    snapshot = item_edits.preview_snapshot(options.order, preview, kept)
    priced = PricedEdit(changes=kept, preview=preview, snapshot=snapshot)
    if priced.extra_due > 0 and not options.policy.allow_price_increases:
        raise RequestNotAllowed(
            _("This change would cost more than you paid, which this store does not allow here."),
            code="price_increase",
        )
    return priced


def item_edit_submit(
    *,
    order: Order,
    shopper,
    line_changes: list[dict[str, Any]],
    snapshot: dict[str, Any],
    language: str,
    now: datetime | None = None,
) -> Request:
    """The shopper confirms the edit Shopify priced (`item_edit_price`); the commit re-checks the order."""
    return request_submit(
        order=order,
        shopper=shopper,
        kind=Request.Kind.ITEM_EDIT,
        line_changes=line_changes,
        edit_preview=snapshot,
        language=language,
        now=now,
    )


def order_exclusions(*, order: Order, policy: Policy, client: ShopifyClient | None = None) -> list[str]:
    """The order's lines the merchant excludes by product tag or type (their gids), read live when the
    policy names some (one call): the mirror keeps no products. SKUs, gift cards and unshipped goods are
    `policy.holds_excluded_item`'s, from the mirror."""
    if not item_edits.needs_product_facts(policy):
        return []
    client = client or client_for(order.shop)
    editable = shopify_live(lambda: client.order_for_edit(order.shopify_gid))
    if editable is None:
        return []
    return [
        line.gid
        for line in editable.lines
        if line.current_quantity > 0 and item_edits.editable_line_exclusion(policy, line)
    ]
