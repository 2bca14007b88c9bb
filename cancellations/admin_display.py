"""Small pieces of HTML the merchant console shows: state badges, links to Shopify, addresses, durations.

Everything that came from a shopper or from Shopify (names, addresses, reason text) goes through
`format_html`/`format_html_join` and is escaped; nothing here marks such text safe.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from decimal import Decimal

from babel.numbers import format_currency
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations.models import Request
from shopify_sync.addresses import PARTS, MailingAddress
from shopify_sync.models import Order, Shop

MYSHOPIFY_SUFFIX = ".myshopify.com"
# The console's address layout, a line per tuple of parts (`shopify_sync.addresses.PARTS`); province and
# country show as codes, which a merchant reads at a glance in any language.
ADDRESS_LINES: tuple[tuple[str, ...], ...] = (
    ("first_name", "last_name"),
    ("company",),
    ("address1",),
    ("address2",),
    ("zip", "city"),
    ("province", "country"),
    ("phone",),
)

# state → CSS modifier: waiting (needs a person), moving (a worker has it), done, refused
STATE_TONES: dict[str, str] = {
    Request.State.SUBMITTED: "waiting",
    Request.State.FAILED: "failed",
    Request.State.APPROVED: "moving",
    Request.State.PUSHING: "moving",
    Request.State.COMPLETED: "done",
    Request.State.REJECTED: "rejected",
    Request.State.WITHDRAWN: "rejected",
}


def shopify_order_url(shop: Shop, order: Order) -> str:
    """The order in the store's Shopify admin (the store handle is the domain's myshopify.com prefix)."""
    handle = shop.domain.removesuffix(MYSHOPIFY_SUFFIX)
    return f"https://admin.shopify.com/store/{handle}/orders/{order.legacy_id}"


def money(amount: Decimal | None, currency: str) -> str:
    """An amount the way the admin's language writes it (“US$25.00”, “₩45,000”)."""
    if amount is None:
        return "—"
    locale = "ko_KR" if (get_language() or "").startswith("ko") else "en_US"
    try:
        return format_currency(amount, currency or "USD", locale=locale)
    except ValueError:  # not an ISO currency babel knows
        return f"{amount} {currency}"


def state_badge(state: str) -> SafeString:
    tone = STATE_TONES.get(state, "moving")
    label = Request.State(state).label if state in Request.State.values else state
    return format_html('<span class="rq-badge rq-badge--{}">{}</span>', tone, label)


def order_link(order: Order) -> SafeString:
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer" title="{}">{}</a>',
        shopify_order_url(order.shop, order),
        _("Open in Shopify admin"),
        order.name,
    )


def duration_short(delta: timedelta) -> str:
    """“3 d 4 h”, “2 h 5 min”, “12 min”: precise enough for a queue, short enough for a column."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def window_left(deadline: datetime | None, now: datetime) -> SafeString:
    if deadline is None:
        return format_html('<span class="rq-muted">{}</span>', "—")
    if deadline < now:
        return format_html(
            '<span class="rq-muted" title="{}">{}</span>', deadline.isoformat(), _("window closed")
        )
    return format_html(
        '<span class="rq-left" title="{}">{}</span>',
        deadline.isoformat(),
        _("%(duration)s left") % {"duration": duration_short(deadline - now)},
    )


def _address_lines(address: MailingAddress, changed: Collection[str] = ()) -> list[tuple[str, bool]]:
    """(line, whether any of its parts is in `changed`) for the lines that say something."""
    lines = []
    for parts in ADDRESS_LINES:
        line = " ".join(address.part(part).strip() for part in parts).strip()
        if line:
            lines.append((line, any(part in changed for part in parts)))
    return lines


def address_lines(address: MailingAddress | dict | None) -> list[str]:
    return [line for line, _changed in _address_lines(MailingAddress.coerce(address))]


def addresses_side_by_side(previous: dict | None, requested: dict | None) -> SafeString:
    """Old and new address in two columns; lines that differ are marked so a merchant sees the change
    (`MailingAddress.changed_parts`: a difference Shopify would tidy away is no change)."""
    old = address_lines(previous)
    if requested is None:
        new = []
    else:
        new_address = MailingAddress.from_dict(requested)
        changed = new_address.changed_parts(previous) if previous is not None else PARTS
        new = _address_lines(new_address, changed)
    new_html = format_html_join(
        "",
        '<li class="{}">{}</li>',
        (("rq-changed" if changed_line else "", line) for line, changed_line in new),
    )
    return format_html(
        '<div class="rq-addresses">'
        '<div><h4>{}</h4><ul class="rq-address">{}</ul></div>'
        '<div><h4>{}</h4><ul class="rq-address">{}</ul></div>'
        "</div>",
        _("Address when the shopper asked"),
        format_html_join("", "<li>{}</li>", ((line,) for line in old)) or _("(none)"),
        _("New address"),
        new_html or _("(none)"),
    )


def item_edit_side_by_side(snapshot: dict | None) -> SafeString:
    """An item edit as the shopper agreed to it: the lines before and after (changed lines marked) and
    what the edit does to the money, in Shopify's figures."""
    if not snapshot:
        return format_html("{}", "—")
    currency = snapshot.get("currency", "")

    def lines(rows: list[dict], *, marked: bool) -> SafeString:
        return format_html_join(
            "",
            '<li class="{}">{} {} &#215; {}</li>',
            (
                (
                    "rq-changed" if marked and row.get("changed") else "",
                    row["title"],
                    f"({row['variant_title']})" if row.get("variant_title") else "",
                    row["quantity"],
                )
                for row in rows
            ),
        )

    outstanding = Decimal(snapshot.get("outstanding") or "0")
    if outstanding < 0:
        effect = _("Refund %(amount)s to the original payment") % {"amount": money(-outstanding, currency)}
    elif outstanding > 0:
        effect = _("The shopper pays %(amount)s more (Shopify e-mails an invoice)") % {
            "amount": money(outstanding, currency)
        }
    else:
        effect = _("No change to the total")
    return format_html(
        '<div class="rq-addresses">'
        '<div><h4>{}</h4><ul class="rq-address">{}</ul></div>'
        '<div><h4>{}</h4><ul class="rq-address">{}</ul></div>'
        "</div>"
        "<p><strong>{}</strong></p><p>{}: {}</p>",
        _("Items when the shopper asked"),
        lines(snapshot.get("before") or [], marked=True),
        _("Items after the edit"),
        lines(snapshot.get("after") or [], marked=False) or _("(none)"),
        effect,
        _("New total"),
        money(Decimal(snapshot.get("total") or "0"), currency),
    )
