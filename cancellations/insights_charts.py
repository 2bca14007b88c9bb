"""Shapes the insights' rows for the page: the reasons pivoted into a table of weeks by reasons, and the data
the charts draw (Chart.js datasets, read by static/cancellations/insights.js). No queries but the one for
the reasons' labels."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cancellations.moderation import reason_choices


def _labels() -> dict[str, str]:
    korean = (get_language() or "").startswith("ko")
    return {
        code: (label_ko if korean and label_ko else label_en) for code, label_en, label_ko in reason_choices()
    }


def reason_table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """{"reasons": [(code, label)], "weeks": [(week, [count per reason], total)]} from per-week rows."""
    labels = _labels()
    codes = sorted(
        {row["reason"] for row in rows}, key=lambda code: (code not in labels, labels.get(code, code))
    )
    weeks: dict[Any, dict[str, int]] = {}
    for row in rows:
        weeks.setdefault(row["week"], {})[row["reason"]] = row["requests"]
    return {
        "reasons": [(code, labels.get(code) or code or _("(no reason)")) for code in codes],
        "weeks": [
            (week, [counts.get(code, 0) for code in codes], sum(counts.values()))
            for week, counts in sorted(weeks.items())
        ],
        "totals": [sum(row["requests"] for row in rows if row["reason"] == code) for code in codes],
        "total": sum(row["requests"] for row in rows),
    }


def chart_data(report: dict[str, Any], reasons: dict[str, Any]) -> dict[str, Any]:
    def weeks(rows: list[dict[str, Any]]) -> list[str]:
        return [row["week"].isoformat() for row in rows]

    return {
        "reasons": {
            "type": "bar",
            "stacked": True,
            "labels": [week.isoformat() for week, _counts, _total in reasons["weeks"]],
            "datasets": [
                {"label": label, "data": [counts[index] for _week, counts, _total in reasons["weeks"]]}
                for index, (_code, label) in enumerate(reasons["reasons"])
            ],
        },
        "rate": {
            "type": "line",
            "percent": True,
            "labels": weeks(report["rate"]),
            "datasets": [
                {"label": _("Share of orders cancelled"), "data": [r["rate_percent"] for r in report["rate"]]}
            ],
        },
        "fixes": {
            "type": "bar",
            "labels": weeks(report["fixes"]),
            "datasets": [
                {"label": _("Address fixes, order kept"), "data": [r["fixes"] for r in report["fixes"]]},
                {
                    "label": _("…after asking to cancel for a wrong address"),
                    "data": [r["after_cancel_request"] for r in report["fixes"]],
                },
            ],
        },
        "products": {
            "type": "bar",
            "horizontal": True,
            "labels": [r["title"] for r in report["products"]],
            "datasets": [{"label": _("Cancelled orders"), "data": [r["orders"] for r in report["products"]]}],
        },
        "delay": {
            "type": "line",
            "labels": weeks(report["delay"]),
            "datasets": [{"label": _("Median hours"), "data": [r["median_hours"] for r in report["delay"]]}],
        },
        "offers": {
            "type": "bar",
            "labels": weeks(report["offers_weekly"]),
            "datasets": [
                {"label": _("Offers shown"), "data": [r["shown"] for r in report["offers_weekly"]]},
                {"label": _("Offers taken"), "data": [r["taken"] for r in report["offers_weekly"]]},
            ],
        },
        "edits": {
            "type": "bar",
            "labels": weeks(report["edits"]),
            "datasets": [
                {"label": _("Item edits asked for"), "data": [r["edits"] for r in report["edits"]]},
                {"label": _("Item edits completed"), "data": [r["completed"] for r in report["edits"]]},
            ],
        },
        "money": {
            "type": "bar",
            "stacked": True,
            "labels": weeks(report["money"]),
            "datasets": [
                {
                    "label": _("Refunded to the payment"),
                    "data": [float(r["refunded"]) for r in report["money"]],
                },
                {
                    "label": _("Refunded as store credit"),
                    "data": [float(r["store_credit"]) for r in report["money"]],
                },
                {"label": _("Kept"), "data": [float(r["kept"]) for r in report["money"]]},
            ],
        },
    }
