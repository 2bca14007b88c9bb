"""Item edits as the policy sees them: which lines a shopper may change, what a change may be, what the
shopper agreed to (a snapshot of Shopify's preview), and whether the order moved since.

Pure functions over `shopify_sync.order_edits` types, read live from Shopify by the callers: the mirror
keeps no variants or products, and an edit must be judged on the order as it is now.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from cancellations.errors import RequestNotAllowed
from cancellations.models import Policy
from shopify_sync.order_edits import EditableLine, EditableOrder, EditPreview, LineChange, VariantOption

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

EXCLUSION_MESSAGES: dict[str, StrPromise] = {
    "excluded_tag": _("The store does not let this item be changed or cancelled here."),
    "excluded_type": _("The store does not let this kind of item be changed or cancelled here."),
    "excluded_sku": _("The store does not let this item be changed or cancelled here."),
    "unshipped": _("Gift cards and digital goods are delivered at once and cannot be changed or cancelled."),
}
REMOVE_ALL = _("Removing every item cancels the order: use “Cancel order” instead.")


def line_exclusion(
    policy: Policy,
    *,
    sku: str,
    requires_shipping: bool,
    gift_card: bool,
    product_type: str = "",
    product_tags: tuple[str, ...] = (),
) -> str | None:
    """Why the merchant excludes a line from self-service (a key of `EXCLUSION_MESSAGES`), or None."""
    if policy.exclude_unshipped_goods and (gift_card or not requires_shipping):
        return "unshipped"
    sku = (sku or "").strip().lower()
    if sku and any(sku.startswith(prefix) for prefix in policy.excluded_sku_prefix_list):
        return "excluded_sku"
    if product_type and product_type.strip().lower() in policy.excluded_type_set:
        return "excluded_type"
    if policy.excluded_tag_set & {tag.strip().lower() for tag in product_tags}:
        return "excluded_tag"
    return None


def needs_product_facts(policy: Policy) -> bool:
    """Whether excluding by product needs Shopify's products (tags, types): the mirror has neither."""
    return bool(policy.excluded_tag_set or policy.excluded_type_set)


def editable_line_exclusion(policy: Policy, line: EditableLine) -> str | None:
    return line_exclusion(
        policy,
        sku=line.sku,
        requires_shipping=line.requires_shipping,
        gift_card=line.gift_card,
        product_type=line.product_type,
        product_tags=line.product_tags,
    )


@dataclass(frozen=True, slots=True)
class LineChoice:
    """What the edit page offers for one line: quantities it may go down to, variants it may become."""

    line: EditableLine
    exclusion: str | None
    min_quantity: int  # what has shipped already cannot be taken back by an edit
    swaps: tuple[VariantOption, ...]

    @property
    def editable(self) -> bool:
        return self.exclusion is None and self.line.unfulfilled_quantity > 0

    @property
    def exclusion_message(self) -> StrPromise | None:
        return EXCLUSION_MESSAGES.get(self.exclusion) if self.exclusion else None

    @property
    def quantities(self) -> list[int]:
        """Largest first: the line as it is, then less."""
        return list(range(self.line.current_quantity, self.min_quantity - 1, -1))


def line_choices(
    policy: Policy, order: EditableOrder, variants: dict[str, list[VariantOption]]
) -> list[LineChoice]:
    """Every line still on the order, with what a shopper may do to it."""
    choices = []
    for line in order.lines:
        if line.current_quantity <= 0:
            continue
        swaps: tuple[VariantOption, ...] = ()
        # A swap replaces the whole line, so only a line nothing of which has shipped can be swapped.
        if policy.allow_swaps and line.product_gid and line.unfulfilled_quantity == line.current_quantity:
            swaps = tuple(
                v
                for v in variants.get(line.product_gid, [])
                if v.gid != line.variant_gid and v.available and _in_stock(v, line.current_quantity)
            )
        choices.append(
            LineChoice(
                line=line,
                exclusion=editable_line_exclusion(policy, line),
                min_quantity=line.current_quantity - line.unfulfilled_quantity,
                swaps=swaps,
            )
        )
    return choices


def _in_stock(variant: VariantOption, quantity: int) -> bool:
    return variant.inventory is None or variant.inventory >= quantity


def changes_checked(choices: list[LineChoice], changes: list[LineChange]) -> list[LineChange]:
    """The shopper's changes if the policy and the order allow them all; else `RequestNotAllowed` with
    what to fix. Lines left as they are drop out."""
    by_gid = {choice.line.gid: choice for choice in choices}
    kept: list[LineChange] = []
    for change in changes:
        choice = by_gid.get(change.line_item_gid)
        if choice is None:
            raise RequestNotAllowed(_("That item is not on this order any more."), code="line_unknown")
        line = choice.line
        unchanged = change.quantity == line.current_quantity and not change.swap_to
        if unchanged:
            continue
        if not choice.editable:
            raise RequestNotAllowed(
                choice.exclusion_message or _("This item has shipped and cannot be changed."),
                code=choice.exclusion or "line_shipped",
            )
        if change.swap_to:
            if change.swap_to not in {v.gid for v in choice.swaps}:
                raise RequestNotAllowed(
                    _("That size or colour is not available for this item."), code="swap_unavailable"
                )
            if change.quantity != line.current_quantity:
                raise RequestNotAllowed(
                    _("Swap an item or change its quantity, not both at once."), code="swap_and_quantity"
                )
        elif not choice.min_quantity <= change.quantity < line.current_quantity:
            raise RequestNotAllowed(
                _("You can only lower the quantity of an item, down to what has shipped."),
                code="bad_quantity",
            )
        kept.append(change)
    if not kept:
        raise RequestNotAllowed(_("Choose at least one change."), code="no_change")
    remaining = {choice.line.gid: choice.line.current_quantity for choice in choices}
    for change in kept:
        remaining[change.line_item_gid] = change.quantity
    if not any(remaining.values()):
        raise RequestNotAllowed(REMOVE_ALL, code="remove_all")
    return kept


# -- what the shopper agreed to ------------------------------------------------------------------------


def change_as_dict(change: LineChange) -> dict[str, Any]:
    return {
        "line_item_gid": change.line_item_gid,
        "quantity": change.quantity,
        "swap_to": change.swap_to,
    }


def change_from_dict(value: dict[str, Any], *, restock: bool = True) -> LineChange:
    return LineChange(
        line_item_gid=str(value["line_item_gid"]),
        quantity=int(value["quantity"]),
        swap_to=value.get("swap_to") or None,
        restock=restock,
    )


def _money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def preview_snapshot(order: EditableOrder, preview: EditPreview, changes: list[LineChange]) -> dict[str, Any]:
    """Shopify's figures in the currency the shopper pays in, the lines before and after (for the
    shopper's confirmation and the merchant's diff), and the lines' state the commit re-checks."""
    swapped_titles = {}
    for line in preview.lines:
        if line.variant_gid:
            swapped_titles[line.variant_gid] = line.variant_title
    changed = {change.line_item_gid for change in changes}
    return {
        "currency": preview.total.presentment.currency,
        "subtotal": _money(preview.subtotal.presentment.amount),
        "shipping": _money(preview.shipping.presentment.amount),
        "taxes": _money(preview.taxes.presentment.amount),
        "total": _money(preview.total.presentment.amount),
        "outstanding": _money(preview.outstanding.presentment.amount),
        "lines": [line.as_snapshot() for line in order.lines],
        "before": [
            {
                "gid": line.gid,
                "title": line.title,
                "variant_title": line.variant_title,
                "quantity": line.current_quantity,
                "changed": line.gid in changed,
            }
            for line in order.lines
            if line.current_quantity > 0
        ],
        "after": [
            {
                "title": line.title,
                "variant_title": line.variant_title,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price.presentment.amount),
            }
            for line in preview.lines
            if line.quantity > 0
        ],
    }


def refund_due(snapshot: dict[str, Any]) -> Decimal:
    """What the store owes back after the edit (Shopify's negative outstanding), or zero."""
    outstanding = Decimal(snapshot["outstanding"])
    return -outstanding if outstanding < 0 else Decimal("0")


def extra_due(snapshot: dict[str, Any]) -> Decimal:
    """What the shopper owes on top after the edit (Shopify invoices it), or zero."""
    outstanding = Decimal(snapshot["outstanding"])
    return outstanding if outstanding > 0 else Decimal("0")


# -- at commit time ------------------------------------------------------------------------------------


def changed_since_preview(snapshot: dict[str, Any], order: EditableOrder) -> str | None:
    """What moved on the order since the shopper's preview (a line shipped, was edited or re-priced in
    Shopify), in words for the merchant; None when every line is as it was."""
    for then in snapshot["lines"]:
        line = order.line(then["gid"])
        if line is None:
            return f"line {then['gid']} is gone"
        now = line.as_snapshot()
        for key in ("current_quantity", "unfulfilled_quantity", "variant_gid", "unit_price"):
            if now[key] != then[key]:
                return f"line {then['gid']}: {key} was {then[key]}, is {now[key]}"
    known = {then["gid"] for then in snapshot["lines"]}
    added = [line.gid for line in order.lines if line.gid not in known and line.current_quantity > 0]
    if added:
        return f"lines added since: {', '.join(added)}"
    return None


def changes_applied(snapshot: dict[str, Any], changes: list[LineChange], order: EditableOrder) -> bool:
    """Whether the order shows every change (Shopify commits an edit whole, so all or none is ours)."""
    known = {then["gid"] for then in snapshot["lines"]}
    added = [line for line in order.lines if line.gid not in known]
    for change in changes:
        line = order.line(change.line_item_gid)
        wanted = 0 if change.swap_to else change.quantity
        if line is None or line.current_quantity != wanted:
            return False
        if change.swap_to and not any(
            new.variant_gid == change.swap_to and new.current_quantity >= change.quantity for new in added
        ):
            return False
    return True
