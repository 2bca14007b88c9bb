"""Returns as Shopify keeps them: an order's fulfilled lines with what may still be sent back, and its
returns (found again by the note on their lines) with their status and, once declined, why. Typed from
`OrderReturnables`; no business rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Returns that hold their lines: a declined or cancelled return frees them for a new one.
HOLDING = frozenset({"REQUESTED", "OPEN", "CLOSED"})


@dataclass(frozen=True, slots=True)
class ReturnableLine:
    fulfillment_line_item_gid: str
    line_item_gid: str
    title: str
    variant_title: str
    shipped: int
    returnable: int  # shipped, less what other returns hold


@dataclass(frozen=True, slots=True)
class ReturnState:
    id: str
    name: str
    status: str  # REQUESTED, OPEN, DECLINED, CLOSED, CANCELED
    notes: tuple[str, ...]
    # A declined return: Shopify's ReturnDeclineReason (RETURN_PERIOD_ENDED, FINAL_SALE, OTHER) and the
    # merchant's note to the customer.
    decline_reason: str = ""
    decline_note: str = ""


@dataclass(frozen=True, slots=True)
class OrderReturnables:
    lines: tuple[ReturnableLine, ...]
    returns: tuple[ReturnState, ...]

    def marked(self, marker: str) -> ReturnState | None:
        """The return whose lines' notes carry `marker` (ours, for one request): "#5" is not "#57"."""
        pattern = re.compile(re.escape(marker) + r"(?!\d)")
        return next((r for r in self.returns if any(pattern.search(note) for note in r.notes)), None)


def order_returnables(node: dict) -> OrderReturnables:
    held: dict[str, int] = {}
    returns = []
    for ret in (node.get("returns") or {}).get("nodes") or []:
        notes = []
        for line in (ret.get("returnLineItems") or {}).get("nodes") or []:
            notes.append(line.get("customerNote") or "")
            fli = (line.get("fulfillmentLineItem") or {}).get("id")
            if fli and ret.get("status") in HOLDING:
                held[fli] = held.get(fli, 0) + int(line.get("quantity") or 0)
        decline = ret.get("decline") or {}
        returns.append(
            ReturnState(
                ret["id"],
                ret.get("name") or "",
                ret.get("status") or "",
                tuple(notes),
                decline_reason=decline.get("reason") or "",
                decline_note=decline.get("note") or "",
            )
        )
    lines = []
    for fulfillment in node.get("fulfillments") or []:
        for fli in (fulfillment.get("fulfillmentLineItems") or {}).get("nodes") or []:
            line = fli.get("lineItem") or {}
            shipped = int(fli.get("quantity") or 0)
            lines.append(
                ReturnableLine(
                    fulfillment_line_item_gid=fli["id"],
                    line_item_gid=line.get("id") or "",
                    title=line.get("title") or "",
                    variant_title=line.get("variantTitle") or "",
                    shipped=shipped,
                    returnable=max(shipped - held.get(fli["id"], 0), 0),
                )
            )
    return OrderReturnables(tuple(lines), tuple(returns))
