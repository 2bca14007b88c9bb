"""An order's shipments as Shopify knows them now: when they left and, where the carrier said so, when they
arrived (`Fulfillment.deliveredAt`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shopify_sync.graphql_results import parse_datetime


@dataclass(frozen=True, slots=True)
class OrderDeliveries:
    shipped_at: tuple[datetime, ...]
    delivered_at: tuple[datetime | None, ...]  # None: not (yet) reported delivered

    @property
    def shipped(self) -> bool:
        return bool(self.shipped_at)

    @property
    def last_delivered_at(self) -> datetime | None:
        """When the last shipment arrived; None while one is on its way (or none left)."""
        if not self.delivered_at or any(at is None for at in self.delivered_at):
            return None
        return max(at for at in self.delivered_at if at is not None)


def order_deliveries(node: dict) -> OrderDeliveries:
    fulfillments = node.get("fulfillments") or []
    shipped = (parse_datetime(f.get("createdAt")) for f in fulfillments)
    return OrderDeliveries(
        shipped_at=tuple(at for at in shipped if at is not None),
        delivered_at=tuple(parse_datetime(f.get("deliveredAt")) for f in fulfillments),
    )
